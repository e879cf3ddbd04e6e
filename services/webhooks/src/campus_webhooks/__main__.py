from campus_webhooks.main import main

main()

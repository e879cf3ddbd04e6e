from campus_catalog.main import main

main()

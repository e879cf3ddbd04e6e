from campus_funding.main import main

main()

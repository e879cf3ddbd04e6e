from campus_projects.main import main

main()

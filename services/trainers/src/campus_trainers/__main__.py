from campus_trainers.main import main

main()

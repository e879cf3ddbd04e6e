from campus_enrollment.main import main

main()

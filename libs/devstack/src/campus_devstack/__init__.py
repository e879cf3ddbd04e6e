"""Campus development stack: embedded servers, the `make run` supervisor, test fixtures."""

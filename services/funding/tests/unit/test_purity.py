"""The domain is pure: importing it pulls in no I/O library."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("asyncpg", "nats", "fastapi", "httpx", "campus_service")


def test_domain_modules_import_no_io():
    code = (
        "import sys; import campus_funding.domain.commands, campus_funding.domain.decider,"
        " campus_funding.domain.errors, campus_funding.domain.state;"
        f" print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

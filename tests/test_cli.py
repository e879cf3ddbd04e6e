"""The `campus` command's answer to an operator's mistake or a server out of reach: one line on
stderr and an exit code, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CAMPUS = str(Path(sys.executable).parent / "campus")


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        (["dead-letters", "retry", "nosuch"], {}, 2, "campus: unknown service 'nosuch'; services: catalog"),
        (["erase-agent", "not-a-uuid"], {}, 2, "is not an agent id"),
        (["streams"], {"CAMPUS_NATS_URL": "nats://127.0.0.1:9"}, 1, "campus: cannot reach a server"),
        (["erase-agent", "11111111-2222-4333-8444-555555555555"], {}, 1, "private.pem not found"),
    ],
)
def test_mistakes_and_servers_out_of_reach_are_one_line(args, env, code, message, tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CAMPUS_")}
    done = subprocess.run(
        [CAMPUS, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, "CAMPUS_HOME": str(tmp_path), **env},
    )
    assert done.returncode == code, done.stdout + done.stderr
    assert message in done.stderr, done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_a_local_file_error_is_not_called_a_server_out_of_reach(tmp_path):
    (tmp_path / "keys" / "private.pem").mkdir(parents=True)  # a folder where the key should be
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CAMPUS_")}
    done = subprocess.run(
        [CAMPUS, "token", "--role", "agent", "--ministry", "dinum"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, "CAMPUS_HOME": str(tmp_path)},
    )
    assert done.returncode == 1 and "private.pem" in done.stderr, done.stderr
    assert "cannot reach a server" not in done.stderr and "Traceback" not in done.stderr

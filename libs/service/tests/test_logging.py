"""Development logs: an error's traceback without its frames' local variables."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_a_logged_error_shows_its_traceback_not_the_frames_variables(tmp_path):
    # In a child process: configure_logging replaces the root handler, which pytest's capture holds.
    script = textwrap.dedent(
        """
        from campus_service.logging import configure_logging, get_logger

        configure_logging(json=False, level="INFO")
        BODY = {"email": "agent@example.gouv.fr"}  # off the traceback's lines: only locals show them
        SECRET = "secret-token-of-an-agent"

        def handle(body):
            token = "Bearer " + SECRET
            raise ValueError("boom")

        try:
            handle(BODY)
        except ValueError:
            get_logger("test").exception("request.failed")
        """
    )
    (tmp_path / "fails.py").write_text(script)  # a file: the traceback quotes its lines
    done = subprocess.run(
        [sys.executable, str(tmp_path / "fails.py")], capture_output=True, text=True, timeout=60
    )
    assert "request.failed" in done.stderr and "ValueError: boom" in done.stderr, done.stderr
    assert 'raise ValueError("boom")' in done.stderr  # the frame's line is there
    # rich's default (show_locals) printed every frame's variables: the body and the token.
    assert "secret-token" not in done.stderr and "agent@example" not in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) < 40

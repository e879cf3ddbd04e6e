"""pytest fixtures: real PostgreSQL and NATS JetStream, hermetic and on free ports.

* ``pg_server`` — one PostgreSQL per test session; ``database_url`` — a fresh database per test.
* ``nats_server`` — a fresh NATS server per test (it starts in milliseconds), so stream names
  are the contract's and a test may stop or kill it to inject an outage.

With ``CAMPUS_TEST_BACKEND=testcontainers`` and a Docker daemon, the same fixtures run
against container images instead (see ``campus_devstack.containers``).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from .servers import EmbeddedNats, EmbeddedPostgres, free_port

BACKEND = os.environ.get("CAMPUS_TEST_BACKEND", "embedded")


def pytest_configure(config: pytest.Config) -> None:
    for marker, text in (
        ("unit", "pure tests: no server"),
        ("integration", "real PostgreSQL and NATS started by fixtures"),
        ("e2e", "the running services over HTTP and NATS"),
        ("soak", "long loads, outages and repetitions: `make soak` only"),
    ):
        config.addinivalue_line("markers", f"{marker}: {text}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test that uses a server fixture is an integration test unless it says e2e.
    servers = {"pg_server", "database_url", "nats_server", "pg_pool", "stack"}
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("e2e") or item.get_closest_marker("integration"):
            continue
        item.add_marker(pytest.mark.integration if names & servers else pytest.mark.unit)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if BACKEND == "testcontainers":
        from .containers import ContainerPostgres

        server: Any = ContainerPostgres()
    else:
        server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data", free_port(), durable=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def create_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def database_url(pg_server: Any) -> AsyncIterator[str]:
    """A fresh, empty database for this test; dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    await create_database(pg_server.url(), name)
    try:
        yield pg_server.url(name)
    finally:
        with contextlib.suppress(OSError, asyncpg.PostgresError):  # the test may have stopped the server
            await drop_database(pg_server.url(), name)


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[Any]:
    """A NATS JetStream server of this test's own: stop(), kill() and start() it at will."""
    if BACKEND == "testcontainers":
        from .containers import ContainerNats

        server: Any = ContainerNats()
    else:
        server = EmbeddedNats(tmp_path / "nats", free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The five services as processes (as `make run` starts them), on free ports, for e2e tests."""
    from .stack import SERVICES, Stack

    # Distinct ports (free_ports): successive free_port() calls gave projects and funding the same
    # one once, and funding, unable to listen, answered through projects' port.
    stack = Stack.on_free_ports(tmp_path_factory.mktemp("stack"), SERVICES, durable=False)
    with stack.running(ready_timeout=120) as running:
        yield running

"""The testcontainers backend cannot run here (no Docker): check it statically against the
interface the fixtures use, and check the embedded servers' fault-injection verbs for real."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import asyncpg

from campus_devstack import containers, servers

USED_BY_FIXTURES = {
    "ContainerPostgres": {"start", "stop", "kill", "url"},
    "ContainerNats": {"start", "stop", "kill", "url"},
}


def test_container_backends_offer_what_the_fixtures_call():
    tree = ast.parse(Path(containers.__file__).read_text())
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    for name, needed in USED_BY_FIXTURES.items():
        members = {n.name for n in classes[name].body if isinstance(n, ast.FunctionDef)}
        assert needed <= members, f"{name} lacks {needed - members}"
    source = inspect.getsource(containers)
    assert "testcontainers.postgres" in source and "-js" in source  # PostgreSQL image, NATS with JetStream


def test_the_plugin_selects_the_container_backend_from_the_environment():
    plugin = Path(servers.__file__).with_name("pytest_plugin.py").read_text()
    assert 'os.environ.get("CAMPUS_TEST_BACKEND", "embedded")' in plugin
    assert plugin.count('BACKEND == "testcontainers"') == 2  # PostgreSQL and NATS


async def test_postgres_survives_a_kill_and_restart(tmp_path):
    pg = servers.EmbeddedPostgres(tmp_path / "data", servers.free_port(), durable=True)
    pg.start()
    try:
        conn = await asyncpg.connect(pg.url())
        await conn.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
        await conn.close()
        pg.kill()  # a crash: committed data must survive
        pg.start()
        conn = await asyncpg.connect(pg.url())
        assert await conn.fetchval("SELECT n FROM kept") == 42
        await conn.close()
    finally:
        pg.stop()

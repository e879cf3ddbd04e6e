"""DeferredConnection: held-back statements reach PostgreSQL in the order they were made."""

from __future__ import annotations

import asyncpg
import pytest

from campus_events.deferred import DeferredConnection, apply_deferred


@pytest.fixture
async def conn(pg_pool):
    async with pg_pool.acquire() as conn:
        await conn.execute(
            "DROP TABLE IF EXISTS deferred_t; CREATE TABLE deferred_t (k int PRIMARY KEY, v text)"
        )
        async with conn.transaction():
            yield conn


class Spy:
    """Counts what reaches the real connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.calls: list[tuple[str, int]] = []

    async def execute(self, query, *args, timeout=None):
        self.calls.append(("execute", 1))
        return await self.conn.execute(query, *args, timeout=timeout)

    async def executemany(self, query, args):
        self.calls.append(("executemany", len(args)))
        return await self.conn.executemany(query, args)

    async def fetchval(self, query, *args):
        self.calls.append(("fetchval", 1))
        return await self.conn.fetchval(query, *args)

    def __getattr__(self, name):
        return getattr(self.conn, name)


INSERT = "INSERT INTO deferred_t VALUES ($1, $2)"
UPDATE = "UPDATE deferred_t SET v = v || $2 WHERE k = $1"


async def rows(conn) -> dict[int, str]:
    return {r["k"]: r["v"] for r in await conn.fetch("SELECT k, v FROM deferred_t")}


async def test_nothing_is_sent_before_flush_then_runs_go_as_one_executemany_each_in_order(conn):
    spy = Spy(conn)
    deferred = DeferredConnection(spy)  # type: ignore[arg-type]
    for k in range(100):
        await deferred.execute(INSERT, k, "a")
    await deferred.execute(UPDATE, 5, "b")
    await deferred.execute(UPDATE, 5, "c")
    await deferred.execute(INSERT, 100, "z")
    assert spy.calls == []
    await deferred.flush()
    assert spy.calls == [("executemany", 100), ("executemany", 2), ("execute", 1)]
    got = await rows(conn)
    assert len(got) == 101 and got[5] == "abc" and got[100] == "z"


async def test_a_read_sends_the_held_statements_first(conn):
    deferred = DeferredConnection(conn)
    await deferred.execute(INSERT, 1, "x")
    await deferred.execute(UPDATE, 1, "y")
    assert await deferred.fetchval("SELECT v FROM deferred_t WHERE k = $1", 1) == "xy"
    assert [r["k"] for r in await deferred.fetch("SELECT k FROM deferred_t")] == [1]


async def test_a_script_without_parameters_runs_at_once_after_what_was_held(conn):
    deferred = DeferredConnection(conn)
    await deferred.execute(INSERT, 1, "x")
    await deferred.execute("UPDATE deferred_t SET v = 'script'; INSERT INTO deferred_t VALUES (2, 'two')")
    assert await rows(conn) == {1: "script", 2: "two"}


async def test_a_savepoint_block_sends_its_statements_or_drops_them_with_its_error(conn):
    deferred = DeferredConnection(conn)
    await deferred.execute(INSERT, 1, "before")
    with pytest.raises(RuntimeError):
        async with deferred.transaction():
            await deferred.execute(INSERT, 2, "rolled back")
            raise RuntimeError("apply failed")
    async with deferred.transaction():
        await deferred.execute(INSERT, 3, "kept")
    await deferred.flush()
    assert await rows(conn) == {1: "before", 3: "kept"}


async def test_a_failing_statement_fails_at_flush_inside_its_savepoint(conn):
    deferred = DeferredConnection(conn)
    await deferred.execute(INSERT, 1, "x")
    with pytest.raises(asyncpg.UniqueViolationError):
        async with deferred.transaction():
            await deferred.execute(INSERT, 1, "duplicate")
    await deferred.flush()
    assert await rows(conn) == {1: "x"}  # the outer transaction is still usable


async def test_apply_deferred_gives_what_one_at_a_time_gives(conn, pg_pool):
    async def apply(c, item: tuple[int, str]) -> None:
        k, v = item
        if await c.fetchval("SELECT 1 FROM deferred_t WHERE k = $1", k):  # reads its own writes
            await c.execute(UPDATE, k, v)
        else:
            await c.execute(INSERT, k, v)

    items = [(k % 7, chr(97 + k % 26)) for k in range(60)]
    await apply_deferred(conn, apply, items)
    deferred_rows = await rows(conn)
    await conn.execute("DELETE FROM deferred_t")
    for item in items:
        await apply(conn, item)
    assert deferred_rows == await rows(conn) and len(deferred_rows) == 7


async def test_a_read_after_a_failing_held_statement_fails_before_the_read_is_made(conn):
    deferred = DeferredConnection(Spy(conn))  # type: ignore[arg-type]
    await deferred.execute(INSERT, 1, "x")
    await deferred.execute(INSERT, 1, "duplicate")
    with pytest.raises(asyncpg.UniqueViolationError):
        await deferred.fetchval("SELECT count(*) FROM deferred_t")
    assert deferred._conn.calls == [("executemany", 2)]  # the read was never made (nor left unawaited)

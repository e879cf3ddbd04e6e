"""A connection that holds back statements whose result nobody reads, and sends them together.

A projection's ``apply`` mostly writes: an upsert or two per event, ``await conn.execute(…)``,
result unused. Applied one event at a time, each statement is a round trip to PostgreSQL, and a
batch of 500 events is 500 round trips. Handed a ``DeferredConnection`` instead, the same code
queues its ``execute`` calls; ``flush()`` sends them in the order they were made, a run of the
same statement as one ``executemany`` (asyncpg pipelines its parameter sets: one round trip).

What keeps the order of effects exactly that of the one-at-a-time path:

* anything else asked of the connection (a read such as ``fetchval``, ``executemany``, …) sends
  the queued statements first, then runs;
* ``transaction()`` (a savepoint inside the consumer's transaction) sends them before it opens;
  on leaving it sends its own, or drops them if the block raised (the savepoint would have
  rolled them back).

The one difference: a deferred ``execute`` returns ``None``, not PostgreSQL's status string, so
an ``apply`` must not read it (none of ours does; ``fetchval(… RETURNING …)`` is the way to know).
A statement that fails fails at ``flush()``, with the batch: the consumer then redoes the batch
one message at a time on the plain connection, where the failing message is retried alone.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import asyncpg


class DeferredConnection:
    """Wraps an ``asyncpg.Connection`` inside a transaction; see the module's doc."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self._pending: list[tuple[str, tuple[Any, ...]]] = []

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> None:  # noqa: ASYNC109 - asyncpg's signature
        if not args or timeout is not None:  # a script (several statements), or a deadline: now
            await self.flush()
            await self._conn.execute(query, *args, timeout=timeout)
            return
        self._pending.append((query, args))

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        start = 0
        while start < len(pending):
            query = pending[start][0]
            end = start + 1
            while end < len(pending) and pending[end][0] == query:
                end += 1
            if end - start == 1:
                await self._conn.execute(query, *pending[start][1])
            else:
                await self._conn.executemany(query, [args for _, args in pending[start:end]])
            start = end

    def transaction(self, **options: Any) -> _FlushingTransaction:
        return _FlushingTransaction(self, self._conn.transaction(**options))

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._conn, name)
        if not inspect.iscoroutinefunction(getattr(asyncpg.Connection, name, None)):
            return attribute  # not a query (a pool's proxy wraps its methods: ask the class)

        async def after_flush(*args: Any, **kwargs: Any) -> Any:
            await self.flush()  # the held statements first, then the call (created only now)
            return await attribute(*args, **kwargs)

        return after_flush


class _FlushingTransaction:
    def __init__(self, deferred: DeferredConnection, transaction: Any) -> None:
        self._deferred = deferred
        self._transaction = transaction

    async def __aenter__(self) -> Any:
        await self._deferred.flush()
        return await self._transaction.__aenter__()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        if kind is None:
            try:
                await self._deferred.flush()
            except BaseException as failure:
                await self._transaction.__aexit__(type(failure), failure, failure.__traceback__)
                raise
        else:
            self._deferred._pending.clear()  # the savepoint rolls back what the block did
        result: bool | None = await self._transaction.__aexit__(kind, exc, tb)
        return result


async def apply_deferred(
    conn: asyncpg.Connection,
    apply: Callable[[asyncpg.Connection, Any], Awaitable[None]],
    items: list[Any],
) -> None:
    """``apply(conn, item)`` for each item in order through one ``DeferredConnection``, flushed at
    the end."""
    deferred: Any = DeferredConnection(conn)
    for item in items:
        await apply(deferred, item)
    await deferred.flush()

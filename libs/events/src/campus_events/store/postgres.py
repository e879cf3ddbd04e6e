"""The PostgreSQL event store (asyncpg): one round trip per append, optimistic concurrency."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from ..envelope import Actor, Envelope
from .base import AppendResult, ConcurrencyError, Expected, check_streams

CONCURRENCY_SQLSTATE = "CA409"

EVENT_COLUMNS = (
    "position, event_id, stream, version, type, schema_version, context, aggregate, ministry, occurred_at,"
    " correlation_id, causation_id, actor_id, actor_role, traceparent, data"
)


async def init_connection(conn: asyncpg.Connection) -> None:
    """jsonb and json as Python values on every connection of a Campus pool."""
    for typename in ("jsonb", "json"):
        await conn.set_type_codec(typename, encoder=_dumps, decoder=json.loads, schema="pg_catalog")


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


async def connect(dsn: str) -> asyncpg.Connection:
    """One connection with the Campus codecs (the relay's and each consumer's own)."""
    conn = await asyncpg.connect(dsn)
    await init_connection(conn)
    return conn


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10, **kwargs: Any) -> asyncpg.Pool:
    """An asyncpg pool with the Campus codecs."""
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=init_connection, **kwargs)
    assert pool is not None
    return pool


def row_to_envelope(row: asyncpg.Record) -> Envelope:
    return Envelope(
        id=row["event_id"],
        type=row["type"],
        schema_version=row["schema_version"],
        context=row["context"],
        aggregate=row["aggregate"],
        stream=row["stream"],
        stream_version=row["version"],
        occurred_at=row["occurred_at"],
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
        actor=Actor(id=row["actor_id"], role=row["actor_role"]),
        ministry=row["ministry"],
        traceparent=row["traceparent"],
        data=row["data"],
        position=row["position"],
    )


class PostgresEventStore:
    """Events, outbox rows and the idempotency key are written by one call of ``campus_append``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def append(
        self,
        events: Sequence[Envelope],
        expected: Expected,
        *,
        idempotency_key: str | None = None,
        result: Any = None,
        connection: asyncpg.Connection | None = None,
    ) -> AppendResult:
        streams = check_streams(events, expected)
        payload = [e.model_dump(mode="json", exclude={"position"}) for e in events]
        args = (streams, [expected[s] for s in streams], payload, idempotency_key, result)
        try:
            if connection is not None:
                outcome = await connection.fetchval("SELECT campus_append($1, $2, $3, $4, $5)", *args)
            else:
                async with self.pool.acquire() as conn:
                    outcome = await conn.fetchval("SELECT campus_append($1, $2, $3, $4, $5)", *args)
        except asyncpg.PostgresError as exc:
            if exc.sqlstate == CONCURRENCY_SQLSTATE:
                raise ConcurrencyError(getattr(exc, "detail", None) or "", str(exc)) from None
            raise
        if outcome["replayed"]:
            return AppendResult(replayed=True, result=outcome["result"])
        recorded = tuple(
            e.model_copy(update={"stream_version": version, "position": position})
            for e, (_, version, position) in zip(events, outcome["appended"] or (), strict=True)
        )
        versions = {s: max((e.stream_version for e in recorded if e.stream == s), default=0) for s in streams}
        return AppendResult(events=recorded, result=result, versions=versions)

    async def read_stream(self, stream: str, from_version: int = 1) -> list[Envelope]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE stream = $1 AND version >= $2 ORDER BY version",
                stream,
                from_version,
            )
        return [row_to_envelope(r) for r in rows]

    async def stream_version(self, stream: str) -> int:
        async with self.pool.acquire() as conn:
            version = await conn.fetchval("SELECT version FROM event_streams WHERE stream = $1", stream)
        return int(version or 0)

    async def idempotent_result(self, key: str) -> tuple[bool, Any]:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow("SELECT result FROM idempotency_keys WHERE key = $1", key)
        return (False, None) if row is None else (True, row["result"])

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[Envelope]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2",
                after_position,
                limit,
            )
        return [row_to_envelope(r) for r in rows]

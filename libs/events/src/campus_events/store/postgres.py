"""The PostgreSQL event store (asyncpg): one round trip per append, optimistic concurrency."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
from pydantic import TypeAdapter

from ..envelope import Actor, Envelope
from .base import AppendResult, ConcurrencyError, Expected, check_streams

CONCURRENCY_SQLSTATE = "CA409"

EVENT_COLUMNS = (
    "position, event_id, stream, version, type, schema_version, context, aggregate, ministry, occurred_at,"
    " correlation_id, causation_id, actor_id, actor_role, traceparent, data"
)


class RawJSON:
    """JSON text already serialised (by pydantic's Rust serializer): sent to jsonb as is."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


async def init_connection(conn: asyncpg.Connection) -> None:
    """jsonb and json as Python values on every connection of a Campus pool."""
    for typename in ("jsonb", "json"):
        await conn.set_type_codec(typename, encoder=_dumps, decoder=json.loads, schema="pg_catalog")


def _dumps(value: Any) -> str:
    if isinstance(value, RawJSON):
        return value.text
    return json.dumps(value, separators=(",", ":"), default=str)


async def connect(dsn: str) -> asyncpg.Connection:
    """One connection with the Campus codecs (the relay's and each consumer's own)."""
    conn = await asyncpg.connect(dsn)
    await init_connection(conn)
    return conn


async def keep_session(conn: asyncpg.Connection) -> None:
    """A pooled connection's reset on release: nothing beyond asyncpg's own (an open transaction
    is rolled back). The default ``Connection.reset`` sends ``pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL`` on every release, a round trip per pool use (bench/e2e.py profile).
    Pooled connections carry no session state: no session ``SET`` (``set_config(…, true)`` is
    transaction-local), no ``LISTEN`` and no session advisory lock outlive a call; the relay and
    the consumers, which hold locks and listen, have connections of their own (``connect``)."""


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10, **kwargs: Any) -> asyncpg.Pool:
    """An asyncpg pool with the Campus codecs."""
    kwargs.setdefault("reset", keep_session)
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=init_connection, **kwargs
    )
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


# One statement, one round trip, one implicit transaction. $1-$3 are the streams, their expected
# versions (NULL any, 0 new, N at N) and event counts; $4-$18 the events' columns; $19-$20 the
# idempotency key and the result to remember. Stream version rows are bumped first; if any stream
# is stale, campus_conflict() raises and the whole statement (all of it) rolls back. A set-based
# statement rather than a PL/pgSQL function: measured, the function cost half the throughput.
APPEND = """
WITH key AS (
    INSERT INTO idempotency_keys (key, result) SELECT $19::text, $20::jsonb WHERE $19::text IS NOT NULL
    ON CONFLICT (key) DO NOTHING RETURNING key
), go AS (
    SELECT $19::text IS NULL OR EXISTS (SELECT 1 FROM key) AS ok
), req AS (
    SELECT * FROM unnest($1::text[], $2::integer[], $3::integer[]) WITH ORDINALITY AS r(stream, expected, n, si)
), at_version AS (
    UPDATE event_streams es SET version = es.version + req.n FROM req, go
    WHERE go.ok AND req.expected > 0 AND es.stream = req.stream AND es.version = req.expected
    RETURNING es.stream, es.version
), created AS (
    INSERT INTO event_streams (stream, version) SELECT req.stream, req.n FROM req, go WHERE go.ok AND req.expected = 0
    ON CONFLICT (stream) DO NOTHING RETURNING stream, version
), any_version AS (
    INSERT INTO event_streams AS es (stream, version)
    SELECT req.stream, req.n FROM req, go WHERE go.ok AND req.expected IS NULL
    ON CONFLICT (stream) DO UPDATE SET version = es.version + excluded.version RETURNING es.stream, es.version
), bases AS (
    SELECT req.si, moved.version - req.n AS base
    FROM (SELECT * FROM at_version UNION ALL SELECT * FROM created UNION ALL SELECT * FROM any_version) moved
    JOIN req USING (stream)
), appended AS (
    INSERT INTO events (event_id, stream, version, type, schema_version, context, aggregate, ministry,
                        occurred_at, correlation_id, causation_id, actor_id, actor_role, traceparent, data)
    SELECT e.id, req.stream, bases.base + e.off, e.type, e.sv, e.ctx, e.agg, e.min, e.at, e.corr, e.caus,
           e.aid, e.arole, e.tp, e.data
    FROM unnest($4::uuid[], $5::integer[], $6::integer[], $7::text[], $8::integer[], $9::text[], $10::text[],
                $11::text[], $12::timestamptz[], $13::uuid[], $14::uuid[], $15::uuid[], $16::text[], $17::text[],
                $18::jsonb[])
         WITH ORDINALITY AS e(id, si, off, type, sv, ctx, agg, min, at, corr, caus, aid, arole, tp, data, ord)
    JOIN req ON req.si = e.si JOIN bases ON bases.si = e.si
    ORDER BY e.ord
    RETURNING position, stream, version
), queued AS (
    INSERT INTO outbox (position) SELECT position FROM appended
)
SELECT (SELECT ok FROM go) AS fresh,
       CASE WHEN (SELECT ok FROM go) AND (SELECT count(*) FROM bases) < (SELECT count(*) FROM req)
            THEN campus_conflict($1::text[]) END AS conflict,
       (SELECT array_agg(base ORDER BY si) FROM bases) AS bases,
       (SELECT array_agg(position ORDER BY position) FROM appended) AS positions
"""
# The common case, one stream and no idempotency key, gets a smaller statement: planning the
# general one costs more than executing it. $1 stream, $2 event count, $3 expected version.
_EVENTS = """
    INSERT INTO events (event_id, stream, version, type, schema_version, context, aggregate, ministry,
                        occurred_at, correlation_id, causation_id, actor_id, actor_role, traceparent, data)
    SELECT e.id, $1::text, moved.version - $2::integer + e.ord, e.type, e.sv, e.ctx, e.agg, e.min, e.at, e.corr,
           e.caus, e.aid, e.arole, e.tp, e.data
    FROM unnest($4::uuid[], $5::text[], $6::integer[], $7::text[], $8::text[], $9::text[], $10::timestamptz[],
                $11::uuid[], $12::uuid[], $13::uuid[], $14::text[], $15::text[], $16::jsonb[])
         WITH ORDINALITY AS e(id, type, sv, ctx, agg, min, at, corr, caus, aid, arole, tp, data, ord), moved
    ORDER BY e.ord
    RETURNING position
"""
_TAIL = """, queued AS (INSERT INTO outbox (position) SELECT position FROM appended)
SELECT (SELECT version FROM moved) - $2::integer AS base, $3::integer AS expected,
       (SELECT array_agg(position ORDER BY position) FROM appended) AS positions
"""
APPEND_ONE = {
    "new": "WITH moved AS (INSERT INTO event_streams (stream, version) VALUES ($1::text, $2::integer)"
    " ON CONFLICT (stream) DO NOTHING RETURNING version), appended AS (" + _EVENTS + ")" + _TAIL,
    "at": "WITH moved AS (UPDATE event_streams SET version = version + $2::integer"
    " WHERE stream = $1::text AND version = $3::integer RETURNING version), appended AS ("
    + _EVENTS
    + ")"
    + _TAIL,
    "any": "WITH moved AS (INSERT INTO event_streams AS es (stream, version) VALUES ($1::text, $2::integer)"
    " ON CONFLICT (stream) DO UPDATE SET version = es.version + excluded.version RETURNING es.version),"
    " appended AS (" + _EVENTS + ")" + _TAIL,
}
_DATA: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


def _columns(events: Sequence[Envelope]) -> list[list[Any]]:
    """The events' columns after id (and stream position), as the append statements take them."""
    return [
        [e.type for e in events],
        [e.schema_version for e in events],
        [e.context for e in events],
        [e.aggregate for e in events],
        [e.ministry for e in events],
        [e.occurred_at for e in events],
        [e.correlation_id for e in events],
        [e.causation_id for e in events],
        [e.actor.id for e in events],
        [e.actor.role for e in events],
        [e.traceparent for e in events],
        [RawJSON(_DATA.dump_json(e.data).decode()) for e in events],
    ]


class PostgresEventStore:
    """Events, outbox rows and the idempotency key are written by one call of ``campus_append``."""

    def __init__(self, pool: asyncpg.Pool, *, after_append: Callable[[], None] | None = None) -> None:
        self.pool = pool
        # Wakes the outbox relay (in this process, or through NOTIFY when another replica relays).
        self.after_append = after_append

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
        if len(streams) == 1 and events and idempotency_key is None:
            return await self._append_one(streams[0], events, expected[streams[0]], connection)
        index = {stream: i for i, stream in enumerate(streams)}
        counts = [0] * len(streams)
        offsets = []
        for e in events:
            counts[index[e.stream]] += 1
            offsets.append(counts[index[e.stream]])
        args = (
            streams,
            [expected[s] for s in streams],
            counts,
            [e.id for e in events],
            [index[e.stream] + 1 for e in events],
            offsets,
            *_columns(events),
            idempotency_key,
            result,
        )
        try:
            outcome = await self._fetchrow(connection, APPEND, args)
        except asyncpg.PostgresError as exc:
            if exc.sqlstate == CONCURRENCY_SQLSTATE:
                raise ConcurrencyError(getattr(exc, "detail", None) or "", str(exc)) from None
            raise
        if not outcome["fresh"]:  # the key was used: return what the first call recorded
            _, prior = await self.idempotent_result(idempotency_key or "")
            return AppendResult(replayed=True, result=prior)
        if self.after_append is not None and connection is None:
            self.after_append()
        bases = outcome["bases"]
        recorded = tuple(
            e.model_copy(update={"stream_version": bases[index[e.stream]] + offset, "position": position})
            for e, offset, position in zip(events, offsets, outcome["positions"] or (), strict=True)
        )
        versions = {s: max((e.stream_version for e in recorded if e.stream == s), default=0) for s in streams}
        return AppendResult(events=recorded, result=result, versions=versions)

    async def _fetchrow(
        self, connection: asyncpg.Connection | None, query: str, args: tuple[Any, ...]
    ) -> asyncpg.Record:
        if connection is not None:
            return await connection.fetchrow(query, *args)
        async with self.pool.acquire() as conn:
            return await conn.fetchrow(query, *args)

    async def _append_one(
        self,
        stream: str,
        events: Sequence[Envelope],
        expected: int | None,
        connection: asyncpg.Connection | None,
    ) -> AppendResult:
        kind = "any" if expected is None else "new" if expected == 0 else "at"
        args = (
            stream,
            len(events),
            expected or 0,
            [e.id for e in events],
            *_columns(events),
        )
        outcome = await self._fetchrow(connection, APPEND_ONE[kind], args)
        if outcome["base"] is None:
            raise ConcurrencyError(stream, f"stream {stream} is not at version {expected}")
        if self.after_append is not None and connection is None:
            self.after_append()
        base = outcome["base"]
        recorded = tuple(
            e.model_copy(update={"stream_version": base + i, "position": position})
            for i, (e, position) in enumerate(zip(events, outcome["positions"], strict=True), start=1)
        )
        return AppendResult(events=recorded, versions={stream: base + len(events)})

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

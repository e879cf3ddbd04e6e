"""The PostgreSQL event store (asyncpg): one round trip per append, optimistic concurrency."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import asyncpg
import pydantic_core

from ..envelope import Actor, Envelope
from .base import AppendResult, ConcurrencyError, Expected, check_streams

CONCURRENCY_SQLSTATE = "CA409"
ANY_VERSION_ATTEMPTS = 20  # an append at any version retries the races it loses, up to this

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


async def create_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10, generic_plans: bool = False, **kwargs: Any
) -> asyncpg.Pool:
    """An asyncpg pool with the Campus codecs.

    ``generic_plans``: plan each prepared statement once (``plan_cache_mode = force_generic_plan``),
    for the event store's own pool. PostgreSQL otherwise keeps re-planning the append statements
    at every call, since a custom plan sees the arrays' lengths and always looks cheaper; planning
    cost more than executing (bench/store.py: one writer, +30 %). Not for query pools, where a
    custom plan folds optional filters away.
    """
    kwargs.setdefault("reset", keep_session)
    if generic_plans:
        kwargs["server_settings"] = {
            **kwargs.get("server_settings", {}),
            "plan_cache_mode": "force_generic_plan",
        }
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


# A stream's version is its last event's: ``max(version)`` over the unique (stream, version) index,
# one index probe. Optimistic concurrency is that unique index: two writers that read the same
# version both insert version + 1, and ``ON CONFLICT (stream, version) DO NOTHING`` drops the
# second (after the first commits) instead of raising, so a lost race leaves a caller's
# transaction usable. See docs/architecture.md, "The event store".
_VERSION_OF = "coalesce((SELECT max(v.version) FROM events v WHERE v.stream = {}), 0)"

_INSERT_EVENTS = """INSERT INTO events (event_id, stream, version, type, schema_version, context, aggregate,
                        ministry, occurred_at, correlation_id, causation_id, actor_id, actor_role, traceparent,
                        data)"""
# The outbox rows of the appended events (``appended``: position, event_id, version), from the
# statement's input rows ``{rows}`` (id, subj, head, tail, corr, tp, at): the message as the relay
# sends it, the version the statement gave the event spliced into its CloudEvents JSON.
_QUEUE = """INSERT INTO outbox (position, subject, payload, event_id, correlation_id, traceparent, occurred_at)
    SELECT a.position, r.subj, convert_to(r.head || a.version::text || r.tail, 'UTF8'), r.id, r.corr, r.tp, r.at
    FROM appended a JOIN {rows} r ON r.id = a.event_id"""

# The events of an append, one JSON array of objects (see _event_rows), read as rows by PostgreSQL's
# jsonb_to_recordset: one parameter, where one array per column cost asyncpg ~8 µs of encoding per
# array (19 of them) whatever the batch's size (bench/store.py; docs/architecture.md).
_EVENT_ROWS = """jsonb_to_recordset({param}::jsonb) AS {alias}({leading}, id uuid, type text, sv integer,
        ctx text, agg text, min text, at timestamptz, corr uuid, caus uuid, aid uuid, arole text, tp text,
        data jsonb, subj text, head text, tail text, ord integer)"""

# One statement, one round trip, one implicit transaction. $1-$3 are the streams, their expected
# versions (NULL any, 0 new, N at N) and event counts; $4 the events (_event_rows: each with its
# stream's index ``si`` and its offset ``off`` in that stream); $5-$6 the idempotency key and the
# result to remember. If a stream is not at its expected version, or a concurrent writer took one
# of the versions, campus_conflict() raises and the whole statement
# (all of it) rolls back. A set-based statement rather than a PL/pgSQL function: measured, the
# function cost half the throughput.
APPEND = (
    """
WITH key AS (
    INSERT INTO idempotency_keys (key, result) SELECT $5::text, $6::jsonb WHERE $5::text IS NOT NULL
    ON CONFLICT (key) DO NOTHING RETURNING key
), go AS (
    SELECT $5::text IS NULL OR EXISTS (SELECT 1 FROM key) AS ok
), req AS (
    SELECT r.*, """
    + _VERSION_OF.format("r.stream")
    + """ AS current
    FROM unnest($1::text[], $2::integer[], $3::integer[]) WITH ORDINALITY AS r(stream, expected, n, si)
), bases AS (
    SELECT req.si, req.current AS base FROM req, go
    WHERE go.ok AND (req.expected IS NULL OR req.expected = req.current)
), input AS (
    SELECT * FROM """
    + _EVENT_ROWS.format(param="$4", alias="e", leading="si integer, off integer")
    + """
), appended AS (
    """
    + _INSERT_EVENTS
    + """
    SELECT e.id, req.stream, bases.base + e.off, e.type, e.sv, e.ctx, e.agg, e.min, e.at, e.corr, e.caus,
           e.aid, e.arole, e.tp, e.data
    FROM input e JOIN req ON req.si = e.si JOIN bases ON bases.si = e.si
    ORDER BY e.ord
    ON CONFLICT (stream, version) DO NOTHING
    RETURNING position, event_id, version
), queued AS (
    """
    + _QUEUE.format(rows="input")
    + """
)
SELECT (SELECT ok FROM go) AS fresh,
       CASE WHEN (SELECT ok FROM go) AND ((SELECT count(*) FROM bases) < (SELECT count(*) FROM req)
                                          OR (SELECT count(*) FROM appended) < (SELECT count(*) FROM input))
            THEN campus_conflict($1::text[]) END AS conflict,
       (SELECT array_agg(base ORDER BY si) FROM bases) AS bases,
       (SELECT array_agg(position ORDER BY position) FROM appended) AS positions
"""
)
# The common case, commands of one event without an idempotency key, one row per command: each
# row is appended or not on its own (a stale row is left out, the others go in), so the commands
# of concurrent callers share one statement and one commit (see PostgresEventStore). A new stream
# (expected 0) needs no version probe: version 1 exists or not. Rows of one stream at any version
# take its next versions in turn (offset 1, 2, …); rows at an expected version have offset 1, so of
# two rows expecting the same version the first wins. $1 the events (_event_rows: each with its
# stream, its expected version and its offset).
APPEND_EACH = (
    """
WITH req AS (
    SELECT r.*, CASE WHEN r.expected = 0 THEN 0 ELSE """
    + _VERSION_OF.format("r.stream")
    + """ END AS current
    FROM """
    + _EVENT_ROWS.format(param="$1", alias="r", leading="stream text, expected integer, off integer")
    + """
), appended AS (
    """
    + _INSERT_EVENTS
    + """
    SELECT id, stream, current + off, type, sv, ctx, agg, min, at, corr, caus, aid, arole, tp, data
    FROM req WHERE expected IS NULL OR expected = current
    ORDER BY ord
    ON CONFLICT (stream, version) DO NOTHING
    RETURNING position, event_id, version
), queued AS (
    """
    + _QUEUE.format(rows="req")
    + """
)
SELECT event_id, position, version FROM appended
"""
)
_VERSION_KEY = b'"campusversion":'


def _event_rows(events: Sequence[Envelope], leading: Sequence[dict[str, Any]]) -> RawJSON:
    """The events as the append statements read them (``_EVENT_ROWS``), after each one's
    ``leading`` fields: its columns, and its subject and CloudEvents JSON cut where its stream
    version goes — the statement joins ``head``, the version it gives the event, and ``tail`` into
    the outbox row's payload, so that the relay publishes bytes as they are (``Envelope.to_json`` of
    the recorded event)."""
    rows = []
    for ord_, (e, lead) in enumerate(zip(events, leading, strict=True), start=1):
        ce = e.to_cloudevent()
        ce["campusversion"] = 0
        head, key, rest = pydantic_core.to_json(ce, fallback=str).partition(_VERSION_KEY)
        if not key or rest[:1] != b"0":  # the key precedes data: no value can contain it unescaped
            raise AssertionError(f"no campusversion in the CloudEvent of {e.id}")
        rows.append(
            {
                **lead,
                "id": e.id,
                "type": e.type,
                "sv": e.schema_version,
                "ctx": e.context,
                "agg": e.aggregate,
                "min": e.ministry,
                "at": e.occurred_at.astimezone(UTC),  # the CloudEvent's instant (an offset's seconds too)
                "corr": e.correlation_id,
                "caus": e.causation_id,
                "aid": e.actor.id,
                "arole": e.actor.role,
                "tp": e.traceparent,
                "data": e.data,
                "subj": e.subject,
                "head": head + key,
                "tail": rest[1:],
                "ord": ord_,
            }
        )
    return RawJSON(pydantic_core.to_json(rows, inf_nan_mode="null").decode())  # jsonb has no NaN


@dataclass(eq=False)
class _Single:
    """One caller's single-event append, waiting for the statement that carries it."""

    event: Envelope
    expected: int | None
    done: asyncio.Future[Envelope | None]


class PostgresEventStore:
    """Events, their outbox rows and the idempotency key, written by one statement per append.

    Single-event appends without an idempotency key (most commands) are *combined*: while
    ``max_flushes`` statements are in flight, the appends that arrive meanwhile wait and go
    together in the next one (up to ``max_batch``), each accepted or refused on its own. Nothing
    waits when the store is idle; under load, concurrent commands share a commit, and each caller
    still returns only after the commit that holds its event.
    """

    def __init__(
        self,
        pool: asyncpg.Pool | None,
        *,
        after_append: Callable[[], None] | None = None,
        max_flushes: int = 1,
        max_batch: int = 256,
    ) -> None:
        self.pool = pool
        # Wakes the outbox relay (in this process, or through NOTIFY when another replica relays).
        self.after_append = after_append
        self.max_flushes = max_flushes
        self.max_batch = max_batch
        self._waiting: list[_Single] = []
        self._flushes: set[asyncio.Task[None]] = set()
        self.combined_statements = 0  # statements that carried single-event appends (see _flush)

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
        if len(events) == 1 and len(streams) == 1 and idempotency_key is None:
            single = await self._append_single(events[0], expected[streams[0]], connection)
            return AppendResult(events=single.events, result=result, versions=single.versions)
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
            _event_rows(
                events,
                [{"si": index[e.stream] + 1, "off": off} for e, off in zip(events, offsets, strict=True)],
            ),
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
        async with self._pool().acquire() as conn:
            return await conn.fetchrow(query, *args)

    async def _append_single(
        self, event: Envelope, expected: int | None, connection: asyncpg.Connection | None
    ) -> AppendResult:
        for attempt in range(ANY_VERSION_ATTEMPTS):
            if connection is not None:  # the caller's transaction: on its own, at once
                (recorded,) = await self._append_each([event], [expected], connection)
            else:
                single = _Single(event, expected, asyncio.get_running_loop().create_future())
                # A lost race goes first next time: newcomers must not starve it.
                self._waiting.insert(0 if attempt else len(self._waiting), single)
                self._flush_soon()
                recorded = await single.done
            if recorded is not None:
                return AppendResult(events=(recorded,), versions={event.stream: recorded.stream_version})
            if expected is not None:
                raise ConcurrencyError(event.stream, f"stream {event.stream} is not at version {expected}")
        raise ConcurrencyError(event.stream, f"stream {event.stream}: {ANY_VERSION_ATTEMPTS} lost races")

    def _flush_soon(self) -> None:
        if self._waiting and len(self._flushes) < self.max_flushes:
            task = asyncio.get_running_loop().create_task(self._flush(), name="event-store-append")
            self._flushes.add(task)
            task.add_done_callback(self._flushed)

    def _next_batch(self) -> list[_Single]:
        batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
        return batch

    def _flushed(self, task: asyncio.Task[None]) -> None:
        self._flushes.discard(task)
        if self._waiting:
            self._flush_soon()

    async def _flush(self) -> None:
        """One statement for the appends waiting when the task starts (a burst's first append does
        not go alone: the callbacks ready after its own append theirs first), then one for those
        that arrived meanwhile, and so on while appends wait, on one connection (no pool checkout
        and no task per statement). If a statement fails as a whole (a duplicate event id, a lost
        connection), each of its appends goes again on its own, on a connection of its own, so that
        one caller's error is not another's. Cancelled (the loop is closing), it cancels the callers
        still waiting: none waits forever."""
        batch = self._next_batch()
        if not batch:  # with max_flushes > 1, a flush started just before took them
            return
        failure: Exception | None = None
        try:
            try:
                async with self._pool().acquire() as conn:
                    while True:
                        outcomes = await self._statement(batch, conn)
                        for single, outcome in zip(batch, outcomes, strict=True):
                            _settle(single.done, outcome)
                        batch = []  # answered: nothing of it goes again, whatever happens next
                        await asyncio.sleep(0)  # the callers just answered append their next events first
                        if not self._waiting:
                            return
                        batch = self._next_batch()
            except Exception as exc:  # noqa: BLE001 - handed to the callers
                failure = exc
            if len(batch) == 1:  # its own error
                _settle(batch[0].done, exception=failure)
                return
            for single in batch:  # whose error? each goes again on its own (a cancelled caller's too)
                try:
                    (outcome,) = await self._statement([single])
                except Exception as one:  # noqa: BLE001 - handed to its caller
                    _settle(single.done, exception=one)
                else:
                    _settle(single.done, outcome)
        finally:
            for single in batch:
                single.done.cancel()  # a no-op for the settled

    async def _statement(
        self, batch: list[_Single], conn: asyncpg.Connection | None = None
    ) -> list[Envelope | None]:
        """One statement of combined appends (on ``conn``, or a connection of the pool)."""
        events, expected = [s.event for s in batch], [s.expected for s in batch]
        async with contextlib.nullcontext(conn) if conn is not None else self._pool().acquire() as held:
            outcomes = await self._append_each(events, expected, held)
        self.combined_statements += 1
        if self.after_append is not None and any(o is not None for o in outcomes):
            self.after_append()
        return outcomes

    async def _append_each(
        self,
        events: Sequence[Envelope],
        expected: Sequence[int | None],
        connection: asyncpg.Connection,
    ) -> list[Envelope | None]:
        """Each event at its stream's next version if that stream is at its expected version: the
        recorded event, or ``None`` where the stream was elsewhere (or a concurrent writer won)."""
        offsets, taken = [], Counter[str]()
        for e, version in zip(events, expected, strict=True):
            if version is None:
                taken[e.stream] += 1
            offsets.append(taken[e.stream] if version is None else 1)
        rows_in = _event_rows(
            events,
            [
                {"stream": e.stream, "expected": version, "off": off}
                for e, version, off in zip(events, expected, offsets, strict=True)
            ],
        )
        rows = await connection.fetch(APPEND_EACH, rows_in)
        recorded = {row["event_id"]: row for row in rows}
        out: list[Envelope | None] = []
        for e in events:
            row = recorded.get(e.id)
            out.append(
                None
                if row is None
                else e.model_copy(update={"stream_version": row["version"], "position": row["position"]})
            )
        return out

    async def read_stream(self, stream: str, from_version: int = 1) -> list[Envelope]:
        async with self._pool().acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE stream = $1 AND version >= $2 ORDER BY version",
                stream,
                from_version,
            )
        return [row_to_envelope(r) for r in rows]

    async def stream_version(self, stream: str) -> int:
        async with self._pool().acquire() as conn:
            version = await conn.fetchval("SELECT " + _VERSION_OF.format("$1::text"), stream)
        return int(version)

    async def idempotent_result(self, key: str) -> tuple[bool, Any]:
        async with self._pool().acquire() as conn:
            row = await conn.fetchrow("SELECT result FROM idempotency_keys WHERE key = $1", key)
        return (False, None) if row is None else (True, row["result"])

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[Envelope]:
        async with self._pool().acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2",
                after_position,
                limit,
            )
        return [row_to_envelope(r) for r in rows]

    async def streams_with(self, event_type: str, field: str, value: str) -> list[str]:
        async with self._pool().acquire() as conn:
            rows = await conn.fetch(
                "SELECT stream FROM events WHERE type = $1 AND data->>$2 = $3 ORDER BY position",
                event_type,
                field,
                value,
            )
        return list(dict.fromkeys(r["stream"] for r in rows))

    def _pool(self) -> asyncpg.Pool:
        assert self.pool is not None, "a store without a pool appends on a given connection"
        return self.pool


def _settle(
    done: asyncio.Future[Envelope | None],
    outcome: Envelope | None = None,
    *,
    exception: BaseException | None = None,
) -> None:
    if done.done():  # the caller was cancelled: the append stands, nobody is waiting for it
        return
    if exception is not None:
        done.set_exception(exception)
    else:
        done.set_result(outcome)

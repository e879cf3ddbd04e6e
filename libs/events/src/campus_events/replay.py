"""Rebuild one projection from its JetStream stream with no downtime (``campus replay``).

1. The projection's tables (``Projection.tables``) are copied empty into a shadow schema
   ``replay_<name>`` (``LIKE … INCLUDING ALL``; serial columns get sequences of their own).
2. A consumer of the replay's own reads the stream from sequence 1; each batch is applied with
   ``search_path`` = the shadow schema first, so the projection's unqualified names hit the
   shadow tables (its reads of other tables still reach the live ones). Meanwhile the live
   consumer keeps the live tables current and the service answers from them.
3. Caught up, the replay takes the projection's advisory lock: it ends the live consumer's
   session (the consumer restarts and stands by, the service stays ready), then applies what
   arrived meanwhile up to the end of the stream.
4. One transaction swaps the tables (the live ones are dropped, or kept in
   ``replay_<name>_previous``), the checkpoint and any dead letters; the lock is released and
   the live consumer carries on from the new checkpoint. Readers wait only for that commit.

A message that fails to apply three times is dead-lettered, as the live consumer would. A failure
before the swap leaves the live projection untouched (the shadow schema is dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
import structlog
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from .consumer import PoisonMessageError, Projection, decode, lock_key
from .deferred import apply_deferred
from .registry import Registry, registry
from .store.postgres import connect

log = structlog.get_logger("campus.replay")
ATTEMPTS = 3
INDEX_HEAD = re.compile(r"^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ ")


class ReplayError(Exception):
    """The projection cannot be rebuilt (not declared rebuildable, tables missing, lock not taken)."""


@dataclass
class ReplayProgress:
    """What the progress bar shows: ``phase`` is rebuilding, catching_up, swapping or done."""

    phase: str
    applied: int
    total: int
    last_seq: int


@dataclass
class ReplayResult:
    projection: str
    tables: tuple[str, ...]
    applied: int
    last_seq: int
    checkpoint_before: int
    schema: str = "public"
    dead_lettered: list[int] = field(default_factory=list)
    previous_schema: str | None = None
    seconds: float = 0.0


def shadow_schema(name: str) -> str:
    """``replay_<name>`` as an identifier (``catalog-read-models`` → ``replay_catalog_read_models``)."""
    return "replay_" + re.sub(r"[^a-z0-9_]", "_", name.lower())


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


async def replay(
    dsn: str,
    nc: NATS,
    projection: Projection,
    *,
    batch_size: int = 500,
    keep_previous: bool = False,
    takeover_timeout: float = 30.0,
    fetch_timeout: float = 1.0,
    on_progress: Callable[[ReplayProgress], None] | None = None,
    reg: Registry = registry,
) -> ReplayResult:
    """Rebuild ``projection`` in the database at ``dsn`` from the stream; see the module docstring."""
    if not projection.tables:
        raise ReplayError(
            f"{projection.name} declares no tables: it shares them or issues commands, it cannot be rebuilt alone"
        )
    started = time.monotonic()
    conn = await connect(dsn)
    run = _Replay(conn, nc, projection, batch_size, fetch_timeout, on_progress or (lambda _: None), reg)
    try:
        await run.create_shadow()
        try:
            await run.create_consumer()
            await run.drain("rebuilding")
            await run.take_over(takeover_timeout)
            await run.drain("catching_up")
            result = await run.swap(keep_previous)
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.shield(conn.execute(f"DROP SCHEMA IF EXISTS {quote(run.shadow)} CASCADE"))
            raise
        finally:
            await run.delete_consumer()
    finally:
        with contextlib.suppress(Exception):
            await asyncio.shield(conn.close(timeout=5))  # releases the advisory lock
    result.seconds = round(time.monotonic() - started, 2)
    run.report("done")
    log.info(
        "replay.done",
        projection=projection.name,
        applied=result.applied,
        last_seq=result.last_seq,
        dead_lettered=len(result.dead_lettered),
        seconds=result.seconds,
    )
    return result


class _Replay:
    def __init__(
        self,
        conn: asyncpg.Connection,
        nc: NATS,
        projection: Projection,
        batch_size: int,
        fetch_timeout: float,
        on_progress: Callable[[ReplayProgress], None],
        reg: Registry,
    ) -> None:
        self.conn, self.nc, self.projection = conn, nc, projection
        self.js = nc.jetstream()
        self.batch_size, self.fetch_timeout = batch_size, fetch_timeout
        self.on_progress, self.registry = on_progress, reg
        self.shadow = shadow_schema(projection.name)
        self.consumer_name = f"replay-{projection.name}-{uuid.uuid4().hex[:8]}"
        self.live_schema = "public"
        self.search_path = ""
        self.sub: JetStreamContext.PullSubscription | None = None
        self.applied = self.processed = self.last_seq = self.pending = 0
        self.dead: dict[int, tuple[Msg, str]] = {}

    def report(self, phase: str) -> None:
        self.on_progress(ReplayProgress(phase, self.processed, self.processed + self.pending, self.last_seq))

    async def create_shadow(self) -> None:
        conn, shadow = self.conn, quote(self.shadow)
        self.search_path = str(await conn.fetchval("SHOW search_path"))
        schemas = set()
        for table in self.projection.tables:
            schema = await conn.fetchval(
                "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.oid = to_regclass($1)",
                table,
            )
            if schema is None:
                raise ReplayError(f"table {table!r} of {self.projection.name} does not exist")
            schemas.add(str(schema))
        if len(schemas) != 1:
            raise ReplayError(
                f"the tables of {self.projection.name} are in several schemas: {sorted(schemas)}"
            )
        self.live_schema = schemas.pop()
        async with conn.transaction():
            await conn.execute(f"DROP SCHEMA IF EXISTS {shadow} CASCADE")  # an aborted replay's leftovers
            await conn.execute(f"CREATE SCHEMA {shadow}")
            for table in self.projection.tables:
                live, copy = self._live(table), f"{shadow}.{quote(table)}"
                await conn.execute(f"CREATE TABLE {copy} (LIKE {live} INCLUDING ALL)")
                await self._own_sequences(table)
                owner = await conn.fetchval(
                    "SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = $2",
                    self.live_schema,
                    table,
                )
                if owner != await conn.fetchval("SELECT current_user"):
                    await conn.execute(f"ALTER TABLE {copy} OWNER TO {quote(owner)}")
        log.info("replay.shadow_created", projection=self.projection.name, schema=self.shadow)

    def _live(self, table: str) -> str:
        return f"{quote(self.live_schema)}.{quote(table)}"

    async def _own_sequences(self, table: str) -> None:
        """``LIKE`` keeps ``nextval('<live sequence>')``: give the copy a sequence of its own (moved and
        renamed with the table at the swap), so that the rebuild does not draw the live numbers."""
        copy = f"{quote(self.shadow)}.{quote(table)}"
        columns = await self.conn.fetch(
            "SELECT a.attname FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
            " WHERE d.adrelid = $1::regclass AND pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%'",
            copy,
        )
        for (column,) in columns:
            live_sequence = await self.conn.fetchval(
                "SELECT pg_get_serial_sequence($1, $2)", self._live(table), column
            )
            name = (
                str(live_sequence).rsplit(".", 1)[-1].strip('"') if live_sequence else f"{table}_{column}_seq"
            )
            sequence = f"{quote(self.shadow)}.{quote(name)}"
            await self.conn.execute(f"CREATE SEQUENCE {sequence} OWNED BY {copy}.{quote(column)}")
            await self.conn.execute(
                f"ALTER TABLE {copy} ALTER COLUMN {quote(column)} SET DEFAULT nextval('{sequence}'::regclass)"
            )

    async def create_consumer(self) -> None:
        stream = self.projection.stream
        info = await self.js.add_consumer(
            stream,
            ConsumerConfig(
                name=self.consumer_name,
                deliver_policy=DeliverPolicy.ALL,
                ack_policy=AckPolicy.ALL,
                ack_wait=60,
                max_ack_pending=self.batch_size * 4,
                filter_subjects=list(self.projection.subjects),
                inactive_threshold=300,  # the server removes it if this process dies
                mem_storage=True,
            ),
        )
        self.pending = info.num_pending or 0
        self.sub = await self.js.pull_subscribe_bind(durable=self.consumer_name, stream=stream)
        log.info("replay.started", projection=self.projection.name, stream=stream, pending=self.pending)
        self.report("rebuilding")

    async def delete_consumer(self) -> None:
        if self.sub is not None:
            with contextlib.suppress(Exception):
                await self.sub.unsubscribe()
        with contextlib.suppress(NotFoundError, Exception):
            await self.js.delete_consumer(self.projection.stream, self.consumer_name)

    async def drain(self, phase: str) -> None:
        """Apply batches until the consumer has nothing pending (the end of the stream, now)."""
        self.report(phase)
        assert self.sub is not None
        while True:
            try:
                msgs = await self.sub.fetch(self.batch_size, timeout=self.fetch_timeout)
            except TimeoutError:  # nats-py's, or a bare asyncio one from an idle fetch: nothing came
                info = await self.js.consumer_info(self.projection.stream, self.consumer_name)
                self.pending = info.num_pending or 0
                if self.pending == 0 and not info.num_ack_pending:
                    return
                continue
            await self._apply_batch(msgs)
            await msgs[-1].ack()  # AckPolicy.ALL: acknowledges the batch
            self.pending = msgs[-1].metadata.num_pending or 0
            self.report(phase)
            if self.pending == 0:
                return

    async def _apply_batch(self, msgs: list[Msg]) -> None:
        try:
            async with self.conn.transaction():
                await self._shadow_path()
                if self.projection.apply_batch is not None:
                    envelopes = [decode(msg, self.registry) for msg in msgs]
                    await self.projection.apply_batch(self.conn, envelopes)
                else:  # apply's statements held back and sent together (campus_events.deferred)
                    envelopes = [decode(msg, self.registry) for msg in msgs]
                    await apply_deferred(self.conn, self.projection.apply, envelopes)
        except (asyncpg.InterfaceError, ConnectionError, OSError):
            raise
        except Exception:  # noqa: BLE001 - one bad message: redo the batch one message at a time
            for msg in msgs:
                await self._apply_one(msg)
        else:
            self.applied += len(msgs)
        self.processed += len(msgs)
        self.last_seq = msgs[-1].metadata.sequence.stream

    async def _apply_one(self, msg: Msg) -> None:
        error = ""
        for attempt in range(ATTEMPTS):
            try:
                async with self.conn.transaction():
                    await self._shadow_path()
                    await self.projection.apply(self.conn, decode(msg, self.registry))
            except (asyncpg.InterfaceError, ConnectionError, OSError):
                raise
            except PoisonMessageError as exc:
                error = str(exc)
                break
            except Exception as exc:  # noqa: BLE001 - retried, then dead-lettered
                error = f"replay: failed {attempt + 1} times: {exc!r}"[:2000]
                await asyncio.sleep(0.05 * 2**attempt)
            else:
                self.applied += 1
                return
        seq = msg.metadata.sequence.stream
        log.error("replay.dead_letter", projection=self.projection.name, seq=seq, error=error)
        self.dead[seq] = (msg, error)

    async def _shadow_path(self) -> None:
        path = f"{quote(self.shadow)}, {self.search_path}"
        await self.conn.execute("SELECT set_config('search_path', $1, true)", path)

    async def take_over(self, patience: float) -> None:
        """Hold the projection's advisory lock: end the session of the live consumer holding it (it
        restarts and stands by: ``pg_try_advisory_lock`` fails while the replay holds it)."""
        self.report("taking_over")
        key = lock_key(self.projection.name)
        classid, objid = (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
        deadline = time.monotonic() + patience
        while not await self.conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
            if time.monotonic() > deadline:
                raise ReplayError(f"could not take the lock of {self.projection.name} within {patience}s")
            ended = await self.conn.fetchval(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_locks"
                " WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND classid = $1::bigint::oid"
                " AND objid = $2::bigint::oid AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                classid,
                objid,
            )
            log.info("replay.live_consumer_ended", projection=self.projection.name, sessions=ended)
            with contextlib.suppress(TimeoutError, asyncpg.QueryCanceledError):
                # Queued behind the ended session: granted the moment it is gone, before a restart.
                await self.conn.execute("SELECT pg_advisory_lock($1)", key, timeout=2)
                break
        log.info("replay.lock_taken", projection=self.projection.name)

    async def swap(self, keep_previous: bool) -> ReplayResult:
        self.report("swapping")
        conn, name = self.conn, self.projection.name
        previous = f"{self.shadow}_previous" if keep_previous else None
        async with conn.transaction():
            await conn.execute("SET LOCAL lock_timeout = '10s'")  # readers hold the tables for milliseconds
            checkpoint = await conn.fetchval(
                "SELECT stream_seq FROM consumer_checkpoints WHERE consumer = $1 FOR UPDATE", name
            )
            checkpoint_before = int(checkpoint or 0)
            if previous is not None:
                await conn.execute(f"DROP SCHEMA IF EXISTS {quote(previous)} CASCADE")
                await conn.execute(f"CREATE SCHEMA {quote(previous)}")
            for table in self.projection.tables:
                names = await self._live_names(table)
                if previous is not None:
                    await conn.execute(f"ALTER TABLE {self._live(table)} SET SCHEMA {quote(previous)}")
                else:
                    await conn.execute(f"DROP TABLE {self._live(table)}")
                await self._rename_like(table, names)
                await conn.execute(
                    f"ALTER TABLE {quote(self.shadow)}.{quote(table)} SET SCHEMA {quote(self.live_schema)}"
                )
            last = max(self.last_seq, checkpoint_before)
            await conn.execute(
                "INSERT INTO consumer_checkpoints (consumer, stream_seq) VALUES ($1, $2)"
                " ON CONFLICT (consumer) DO UPDATE SET stream_seq = $2, updated_at = now()",
                name,
                last,
            )
            for seq, (msg, error) in sorted(self.dead.items()):
                await conn.execute(
                    "INSERT INTO dead_letters (consumer, stream, stream_seq, subject, headers, payload, error,"
                    " attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (consumer, stream_seq) DO NOTHING",
                    name,
                    self.projection.stream,
                    seq,
                    msg.subject,
                    dict(msg.headers or {}),
                    msg.data,
                    error,
                    ATTEMPTS,
                )
            await conn.execute(f"DROP SCHEMA {quote(self.shadow)}")
        log.info("replay.swapped", projection=name, checkpoint_before=checkpoint_before, checkpoint=last)
        return ReplayResult(
            projection=name,
            tables=self.projection.tables,
            applied=self.applied,
            last_seq=last,
            checkpoint_before=checkpoint_before,
            schema=self.live_schema,
            dead_lettered=sorted(self.dead),
            previous_schema=previous,
        )

    async def _live_names(self, table: str) -> dict[str, str]:
        """The live table's index and owned-sequence names, keyed by what identifies them in the copy."""
        names: dict[str, str] = {}
        for row in await self.conn.fetch(
            "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition"
            " FROM pg_index i WHERE i.indrelid = $1::regclass",
            self._live(table),
        ):
            names[INDEX_HEAD.sub(r"CREATE \1INDEX ON ", row["definition"])] = _bare(row["name"])
        for row in await self.conn.fetch(
            "SELECT a.attname, pg_get_serial_sequence($1, a.attname) AS sequence FROM pg_attribute a"
            " WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped",
            self._live(table),
        ):
            if row["sequence"]:
                names[f"sequence:{row['attname']}"] = _bare(row["sequence"])
        return names

    async def _rename_like(self, table: str, names: dict[str, str]) -> None:
        """Give the copy's indexes (and so their constraints) and sequences the live names, which
        migrations refer to; two steps, so that no new name collides with a not yet renamed one."""
        copy = f"{quote(self.shadow)}.{quote(table)}"
        renames: list[tuple[str, str, str]] = []  # (kind, current, wanted)
        for row in await self.conn.fetch(
            "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition"
            " FROM pg_index i WHERE i.indrelid = $1::regclass",
            copy,
        ):
            wanted = names.get(INDEX_HEAD.sub(r"CREATE \1INDEX ON ", row["definition"]))
            if wanted:
                renames.append(("INDEX", _bare(row["name"]), wanted))
        for row in await self.conn.fetch(
            "SELECT a.attname, pg_get_serial_sequence($1, a.attname) AS sequence FROM pg_attribute a"
            " WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped",
            copy,
        ):
            wanted = names.get(f"sequence:{row['attname']}")
            if row["sequence"] and wanted:
                renames.append(("SEQUENCE", _bare(row["sequence"]), wanted))
        schema = quote(self.shadow)
        for step, (kind, current, _) in enumerate(renames):
            await self.conn.execute(
                f"ALTER {kind} {schema}.{quote(current)} RENAME TO {quote(f'replay_{step}')}"
            )
        for step, (kind, _, wanted) in enumerate(renames):
            await self.conn.execute(
                f"ALTER {kind} {schema}.{quote(f'replay_{step}')} RENAME TO {quote(wanted)}"
            )


def _bare(qualified: str) -> str:
    """``schema."name"`` → ``name``."""
    return qualified.rsplit(".", 1)[-1].strip('"').replace('""', '"')


async def table_differences(
    conn: asyncpg.Connection, tables: tuple[str, ...], schema: str, other: str
) -> dict[str, int]:
    """Rows of each table present in one schema and not the other (``0`` everywhere: equal, row for row)."""
    out = {}
    for table in tables:
        a, b = f"{quote(schema)}.{quote(table)}", f"{quote(other)}.{quote(table)}"
        out[table] = int(
            await conn.fetchval(
                f"SELECT (SELECT count(*) FROM (SELECT to_jsonb(t) FROM {a} t EXCEPT ALL SELECT to_jsonb(t) FROM {b} t) x)"
                f" + (SELECT count(*) FROM (SELECT to_jsonb(t) FROM {b} t EXCEPT ALL SELECT to_jsonb(t) FROM {a} t) y)"
            )
        )
    return out

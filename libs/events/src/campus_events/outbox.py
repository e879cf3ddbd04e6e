"""The transactional outbox relay: events committed in PostgreSQL → JetStream, at least once,
deduplicated by ``Nats-Msg-Id`` = event id.

* It reads the ``outbox`` table (rows not yet acknowledged), never "position > last": an
  in-flight transaction may commit a lower position after a higher one became visible.
* Per-stream order holds: version N + 1 of a stream is only inserted once version N is committed
  (the store reads the version, and the unique (stream, version) index makes a concurrent writer
  of the same version wait), so it takes a higher position; each batch is published in position
  order.
* While NATS is away it retries with back-off; commands keep being accepted meanwhile.
* One active relay per database: the holder of a session advisory lock; replicas stand by.
* Wake-ups: the event store calls ``relay.wake()`` after each append in this process; an append
  in another replica sends ``NOTIFY campus_outbox`` (see ``notify_outbox``); a short poll is the
  fallback. NOTIFY is never sent inside the append's transaction: it serialises commits.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pydantic_core
import structlog
from nats.aio.client import Client as NATS

from .aio import keep_running
from .publish import BatchPublisher, Message, PubAcks
from .store.postgres import EVENT_COLUMNS, connect

RELAY_LOCK = 0x4F555458  # "OUTX"
SCANS_BETWEEN_DRAINS = 8
# Rows not yet acknowledged, after a position (0: from the oldest), in position order: the
# message as the append wrote it. Rows queued before migration 004 have no payload (LEGACY).
FETCH = (
    "SELECT position, subject, payload, event_id, correlation_id, traceparent, occurred_at FROM outbox"
    " WHERE position > $1 ORDER BY position LIMIT $2"
)
LEGACY = f"SELECT {EVENT_COLUMNS} FROM events WHERE position = ANY($1::bigint[])"
CHANNEL = "campus_outbox"

log = structlog.get_logger("campus.outbox")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass
class RelayStats:
    published: int = 0
    failures: int = 0
    last_latency_seconds: float = 0.0
    active: bool = False
    last_error: str | None = None
    latency_counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    latency_sum: float = 0.0

    def observe_latency(self, seconds: float) -> None:
        """A histogram of commit-to-PubAck times, one observation per event published."""
        self.latency_counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.latency_sum += seconds


def cloudevent_of(row: asyncpg.Record) -> tuple[str, bytes]:
    """The subject and CloudEvents JSON of a stored event, built straight from its row: the relay's
    hot path (same output as ``row_to_envelope(row).to_json()``, without model validation)."""
    ce: dict[str, Any] = {
        "specversion": "1.0",
        "id": str(row["event_id"]),
        "source": f"/campus/{row['context']}",
        "type": f"fr.gouv.campus.{row['context']}.{row['type']}.v{row['schema_version']}",
        "subject": row["stream"].split("-", 1)[1],
        "time": row["occurred_at"].astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "dataschema": f"/schemas/{row['type']}.v{row['schema_version']}.json",
        "campusministry": row["ministry"],
        "campusstream": row["stream"],
        "campusversion": row["version"],
        "campusactorrole": row["actor_role"],
        "data": row["data"],
    }
    if row["actor_id"] is not None:
        ce["campusactorid"] = str(row["actor_id"])
    if row["correlation_id"] is not None:
        ce["correlationid"] = str(row["correlation_id"])
    if row["causation_id"] is not None:
        ce["causationid"] = str(row["causation_id"])
    if row["traceparent"]:
        ce["traceparent"] = row["traceparent"]
    subject = f"campus.{row['context']}.{row['ministry']}.{row['aggregate']}.{row['type']}"
    # pydantic-core's serializer: 4x faster than json.dumps here (the relay's largest cost after
    # publishing), and byte for byte what Envelope.to_json gives.
    return subject, pydantic_core.to_json(ce, fallback=str)


def headers_for(row: asyncpg.Record) -> dict[str, str]:
    headers = {"Nats-Msg-Id": str(row["event_id"])}
    if row["correlation_id"] is not None:
        headers["Campus-Correlation-Id"] = str(row["correlation_id"])
    if row["traceparent"]:
        headers["traceparent"] = row["traceparent"]
    return headers


class OutboxRelay:
    """Publishes the outbox of one database. ``await relay.run()`` until cancelled."""

    def __init__(
        self,
        dsn: str,
        nc: NATS,
        *,
        batch_size: int = 512,
        batches_in_flight: int = 2,
        publish_timeout: float = 5.0,
        poll_interval: float = 0.25,
        max_backoff: float = 5.0,
    ) -> None:
        self.dsn = dsn
        self.nc = nc
        self.publisher = BatchPublisher(nc)
        self.batch_size = batch_size
        self.batches_in_flight = batches_in_flight
        self.publish_timeout = publish_timeout
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self.stats = RelayStats()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Publish now: something was appended."""
        self._wake.set()

    async def run(self) -> None:
        await keep_running(self._hold_lock_and_pump, self._failed, max_backoff=self.max_backoff)

    def _failed(self, exc: Exception, retry_in: float) -> None:
        self.stats.active = False
        self.stats.last_error = repr(exc)
        log.warning("outbox.relay_restarting", error=repr(exc), retry_in=retry_in)

    async def _hold_lock_and_pump(self) -> None:
        conn = await connect(self.dsn)
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK):
                self.stats.active = False
                await asyncio.sleep(self.poll_interval)  # another replica relays; stand by
            self.stats.active = True
            log.info("outbox.relay_active")
            await conn.add_listener(CHANNEL, lambda *_: self._wake.set())
            await self._pump(conn)
        finally:
            self.stats.active = False
            with contextlib.suppress(Exception):
                await asyncio.shield(conn.close(timeout=2))

    async def _pump(self, conn: asyncpg.Connection) -> None:
        """Fetch, publish, settle, delete: up to ``batches_in_flight`` batches published and
        awaiting their PubAcks at once, so that reading and deleting overlap with NATS's work.

        While batches are in flight the next one is read after the last position in flight; a row
        that committed late with a lower position is read once the pipeline has drained, which it
        does at least every ``SCANS_BETWEEN_DRAINS`` batches."""
        backoff = 0.05
        in_flight: deque[tuple[list[asyncpg.Record], PubAcks]] = deque()
        since_drain = 0
        while True:
            self._wake.clear()
            rows: list[asyncpg.Record] = []
            if len(in_flight) < self.batches_in_flight and since_drain < SCANS_BETWEEN_DRAINS:
                after = in_flight[-1][0][-1]["position"] if in_flight else 0
                rows = await conn.fetch(FETCH, after, self.batch_size)
            if rows:
                in_flight.append((rows, await self._send(conn, rows)))
                since_drain += 1
                if len(in_flight) < self.batches_in_flight:
                    continue
            if not in_flight:
                since_drain = 0
                if not rows:
                    with contextlib.suppress(TimeoutError):  # not wait_for: it can swallow a cancel
                        async with asyncio.timeout(self.poll_interval):
                            await self._wake.wait()
                continue
            batch, acks = in_flight.popleft()
            done = await self._settle(batch, acks)
            if done:
                await conn.execute("DELETE FROM outbox WHERE position = ANY($1::bigint[])", done)
            if len(done) < len(batch):
                # Settle what else is in flight, then start again from the oldest row left.
                while in_flight:
                    batch, acks = in_flight.popleft()
                    if done := await self._settle(batch, acks):
                        await conn.execute("DELETE FROM outbox WHERE position = ANY($1::bigint[])", done)
                self.stats.failures += 1
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
            else:
                backoff = 0.05
            if not in_flight:
                since_drain = 0

    async def _send(self, conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> PubAcks:
        """Publish in position order, without waiting for the PubAcks."""
        legacy: dict[int, asyncpg.Record] = {}
        if any(row["payload"] is None for row in rows):
            positions = [row["position"] for row in rows if row["payload"] is None]
            legacy = {event["position"]: event for event in await conn.fetch(LEGACY, positions)}
        messages: list[Message] = []
        for row in rows:
            if row["payload"] is None:
                row = legacy[row["position"]]
                subject, payload = cloudevent_of(row)
            else:
                subject, payload = row["subject"], row["payload"]
            messages.append((subject, payload, headers_for(row)))
        acks = await self.publisher.publish(messages)
        if acks.sent < len(messages):  # retried later
            self.stats.last_error = acks.error
            log.warning("outbox.publish_failed", error=acks.error, queued=acks.sent)
        return acks

    async def _settle(self, rows: list[asyncpg.Record], acks: PubAcks) -> list[int]:
        """Wait for the PubAcks (``publish_timeout``): the positions acknowledged. What is not
        acknowledged by then (refused, unanswered, never sent) is published again."""
        stored = await acks.wait(self.publish_timeout)
        acked: list[int] = []
        now = datetime.now(UTC)
        for row, ok in zip(rows, stored, strict=True):
            if ok:
                acked.append(row["position"])
                if row["occurred_at"] is not None:  # None: a row queued before migration 004
                    self.stats.last_latency_seconds = (now - row["occurred_at"]).total_seconds()
                    self.stats.observe_latency(self.stats.last_latency_seconds)
        if len(acked) < len(rows) and acks.error:
            self.stats.last_error = acks.error
        self.stats.published += len(acked)
        return acked


def relay_waker(relay: OutboxRelay, pool: asyncpg.Pool) -> Callable[[], None]:
    """For ``PostgresEventStore(after_append=…)``: wake the local relay, or the active one elsewhere."""
    pending: set[asyncio.Task[None]] = set()

    def wake() -> None:
        if relay.stats.active:
            relay.wake()
        elif not pending:  # one NOTIFY in flight is enough
            task = asyncio.get_running_loop().create_task(notify_outbox(pool))
            pending.add(task)
            task.add_done_callback(pending.discard)

    return wake


async def notify_outbox(pool: asyncpg.Pool) -> None:
    """Wake the relay of another replica (its own autocommitted NOTIFY, off the append's commit)."""
    async with pool.acquire() as conn:
        await conn.execute(f"NOTIFY {CHANNEL}")


async def outbox_backlog(conn: asyncpg.Connection) -> int:
    """Events committed and not yet acknowledged by JetStream."""
    return int(await conn.fetchval("SELECT count(*) FROM outbox"))

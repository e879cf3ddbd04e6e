"""Projection consumers: durable JetStream pull consumers with an exactly-once *effect*.

A fetched batch is applied to the projection and the consumer's checkpoint (the last stream
sequence applied) is written in the same PostgreSQL transaction; the messages are acked only
after the commit. A redelivered message at or below the checkpoint is skipped. A message that
cannot be decoded (invalid JSON, unknown type or version, oversized) is dead-lettered at once;
one whose projection fails is retried in order and dead-lettered after ``max_deliver`` attempts, and the
consumer carries on. One active consumer per projection: the holder of an advisory lock (a
replay takes it over to swap in a rebuilt projection; the consumer stands by meanwhile).
Each message is applied in a span continuing the envelope's trace (``campus_events.tracing``).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import structlog
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from .aio import NotDoneError, keep_running, within
from .deferred import DeferredConnection
from .envelope import Envelope
from .registry import Registry, UnknownEventError, registry
from .store.postgres import connect
from .tracing import message_span, trace_id_of

log = structlog.get_logger("campus.consumer")
BATCH_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

Apply = Callable[[asyncpg.Connection, Envelope], Awaitable[None]]
BatchApply = Callable[[asyncpg.Connection, list[Envelope]], Awaitable[None]]
MAX_MESSAGE_BYTES = 512 * 1024  # an event is a few KiB: anything this large is hostile


class StalledFetchError(Exception):
    """A fetch outlived its own timeout: the subscription is stalled and must be re-created."""


class PoisonMessageError(Exception):
    """A message no retry can fix: it goes straight to the dead letters."""


@dataclass(frozen=True)
class Projection:
    """What a service projects from one JetStream stream.

    ``apply(conn, envelope)`` runs inside the consumer's transaction; it must only touch the
    projection's tables through ``conn``, by unqualified names. Events of types it does not know
    it should ignore. ``tables``: the tables it alone writes, what ``campus replay`` rebuilds;
    empty when it cannot be rebuilt alone (it shares a table, or its apply issues commands).

    ``apply`` is handed a ``DeferredConnection`` for a batch (``campus_events.deferred``): its
    ``execute`` calls are sent together, a read sends them first; it must not use what
    ``execute`` returns.

    ``apply_batch(conn, envelopes)``, optional, does what ``apply`` does for each envelope, in
    order, at once (one ``executemany`` instead of a round trip per event): the consumer uses it
    for a batch of valid messages; when it fails, the batch is applied again one message at a
    time with ``apply``, so that a failing message is retried or dead-lettered alone.
    """

    name: str
    stream: str
    subjects: tuple[str, ...]
    apply: Apply
    tables: tuple[str, ...] = ()
    apply_batch: BatchApply | None = None


@dataclass
class ConsumerStats:
    applied: int = 0
    skipped: int = 0
    dead_lettered: int = 0
    active: bool = False
    last_fetch: float = field(default_factory=time.monotonic)
    last_error: str | None = None
    batch_seconds: list[int] = field(default_factory=lambda: [0] * (len(BATCH_SECONDS_BUCKETS) + 1))
    batch_seconds_sum: float = 0.0

    def observe_batch(self, seconds: float) -> None:
        """A histogram of batch processing times (fetched → applied, committed and acked)."""
        self.batch_seconds[bisect.bisect_left(BATCH_SECONDS_BUCKETS, seconds)] += 1
        self.batch_seconds_sum += seconds


def decode(msg: Msg, reg: Registry = registry) -> Envelope:
    return decode_payload(msg.data, reg)


def decode_payload(data: bytes, reg: Registry = registry) -> Envelope:
    """A message's envelope, its data validated against the contract; ``PoisonMessageError`` if
    no retry can make it one (oversized, not JSON, unknown type or version, invalid data)."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise PoisonMessageError(f"message of {len(data)} bytes exceeds {MAX_MESSAGE_BYTES}")
    try:
        envelope = Envelope.from_json(data)
        envelope.event(reg)  # validates data against the contract (upcast to the newest version)
    except UnknownEventError as exc:
        raise PoisonMessageError(str(exc)) from exc
    except (ValueError, KeyError, TypeError, ValidationError) as exc:
        raise PoisonMessageError(f"undecodable message: {exc!r}"[:2000]) from exc
    return envelope


def lock_key(name: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(f"consumer:{name}".encode(), digest_size=8).digest(), "big", signed=True
    )


class ProjectionConsumer:
    """Runs one projection. ``await consumer.run()`` until cancelled."""

    def __init__(
        self,
        dsn: str,
        nc: NATS,
        projection: Projection,
        *,
        batch_size: int = 256,
        fetch_timeout: float = 1.0,
        max_deliver: int = 5,
        ack_wait: float = 5.0,
        stall_timeout: float = 30.0,
        standby_interval: float = 1.0,
        reg: Registry = registry,
    ) -> None:
        self.dsn = dsn
        self.nc = nc
        self.js = nc.jetstream()
        self.projection = projection
        self.batch_size = batch_size
        self.fetch_timeout = fetch_timeout
        self.max_deliver = max_deliver
        self.ack_wait = ack_wait
        self.stall_timeout = stall_timeout
        self.standby_interval = standby_interval
        self.registry = reg
        self.stats = ConsumerStats()

    @property
    def name(self) -> str:
        return self.projection.name

    def consumer_config(self, start_after: int = 0) -> ConsumerConfig:
        return ConsumerConfig(
            name=self.name,
            durable_name=self.name,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE if start_after else DeliverPolicy.ALL,
            opt_start_seq=start_after + 1 if start_after else None,
            # Acking a message acks every earlier one: one ack per batch (the batch is applied in
            # stream order, and a partial batch is acked up to its last applied message).
            ack_policy=AckPolicy.ALL,
            ack_wait=self.ack_wait,
            max_deliver=-1,  # we dead-letter ourselves: the server must never drop a message silently
            max_ack_pending=self.batch_size * 4,
            filter_subjects=list(self.projection.subjects),
        )

    async def run(self) -> None:
        await keep_running(self._hold_lock_and_consume, self._failed)

    def _failed(self, exc: Exception, retry_in: float) -> None:
        self.stats.active = False
        self.stats.last_error = repr(exc)
        log.warning("consumer.restarting", consumer=self.name, error=repr(exc), retry_in=retry_in)

    async def _hold_lock_and_consume(self) -> None:
        conn = await connect(self.dsn)
        try:
            standby = False
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_key(self.name)):
                if not standby:  # another replica runs it, or a replay is swapping it
                    log.info("consumer.standby", consumer=self.name)
                    standby = True
                self.stats.active = False
                self.stats.last_fetch = time.monotonic()
                await asyncio.sleep(self.standby_interval)
            await self._recreate_consumer(conn)
            sub = await self.js.pull_subscribe_bind(durable=self.name, stream=self.projection.stream)
            self.stats.active = True
            log.info("consumer.active", consumer=self.name, stream=self.projection.stream)
            # The next batch is fetched while this one is applied and committed (at most two
            # batches unacknowledged; they are applied strictly one after the other).
            upcoming = asyncio.ensure_future(self._fetch(sub))
            try:
                while True:
                    try:
                        msgs = await upcoming
                    except NatsTimeoutError:
                        self.stats.last_fetch = time.monotonic()
                        upcoming = asyncio.ensure_future(self._fetch(sub))
                        continue
                    self.stats.last_fetch = time.monotonic()
                    upcoming = asyncio.ensure_future(self._fetch(sub))
                    try:
                        await self._process(conn, msgs)
                    except BaseException:
                        await self._release(msgs)
                        raise
                    self.stats.observe_batch(time.monotonic() - self.stats.last_fetch)
            finally:
                await self._abandon(upcoming)
                with contextlib.suppress(Exception):
                    await within(sub.unsubscribe(), 2)
        finally:
            self.stats.active = False
            with contextlib.suppress(Exception):
                await asyncio.shield(conn.close(timeout=2))

    async def _fetch(self, sub: JetStreamContext.PullSubscription) -> list[Msg]:
        """``sub.fetch`` under a watchdog (see ``campus_events.aio``: nats-py's fetch can ignore
        a cancellation and wait on its queue forever). A fetch that hangs past its own timeout
        means a stalled subscription, a known nats-py failure after reconnects: re-subscribe."""
        try:
            return await within(
                sub.fetch(self.batch_size, timeout=self.fetch_timeout),
                self.fetch_timeout + self.stall_timeout,
            )
        except NotDoneError as exc:
            raise StalledFetchError(f"fetch stalled for {self.fetch_timeout + self.stall_timeout}s") from exc
        except NatsTimeoutError:
            raise
        except TimeoutError:
            # nats-py's fetch also ends an idle wait with a bare asyncio.TimeoutError (when the
            # server's 408 for its first probe comes just before its own deadline): nothing came.
            raise NatsTimeoutError from None

    async def _recreate_consumer(self, conn: asyncpg.Connection) -> None:
        """Start the JetStream consumer afresh just after our checkpoint.

        The checkpoint in PostgreSQL is the truth; JetStream's consumer state is disposable. A
        consumer inherited from a dead instance may hold messages delivered to it and never
        acked; redelivered later, they would arrive behind newer messages and fall below the
        checkpoint. A fresh consumer delivers in stream order from the checkpoint on.
        """
        await conn.execute(
            "INSERT INTO consumer_checkpoints (consumer) VALUES ($1) ON CONFLICT DO NOTHING", self.name
        )
        checkpoint = await conn.fetchval(
            "SELECT stream_seq FROM consumer_checkpoints WHERE consumer = $1", self.name
        )
        with contextlib.suppress(NotFoundError):
            await self.js.delete_consumer(self.projection.stream, self.name)
        await self.js.add_consumer(self.projection.stream, self.consumer_config(start_after=checkpoint))

    async def _process(self, conn: asyncpg.Connection, msgs: list[Msg]) -> None:
        """Apply a batch. A failed apply commits what came before it, then that message is
        retried here, in order, with back-off: retrying through a nak would let later
        messages overtake it and move the checkpoint past it."""
        if await self._apply_fast(conn, msgs):
            return
        failures = 0
        while msgs:
            failed_at = await self._apply(conn, msgs, first_failures=failures)
            if failed_at is None:
                return
            failures = failures + 1 if failed_at == 0 else 1
            msgs = msgs[failed_at:]
            await asyncio.sleep(min(0.05 * 2**failures, 2.0))

    async def _apply_fast(self, conn: asyncpg.Connection, msgs: list[Msg]) -> bool:
        """The common case: the whole batch applies. No savepoint per message (each costs two
        round trips); on any failure the transaction rolls back and ``_apply`` redoes the batch
        message by message. Returns whether the batch was applied."""
        applied = skipped = 0
        correlations: set[str] = set()
        traces: set[str] = set()
        try:
            async with conn.transaction():
                checkpoint = await conn.fetchval(
                    "SELECT stream_seq FROM consumer_checkpoints WHERE consumer = $1 FOR UPDATE", self.name
                )
                last = checkpoint
                batch: list[Envelope] = []
                # Without apply_batch, apply's statements are held back and sent together.
                deferred: Any = DeferredConnection(conn)
                for msg in msgs:
                    seq = msg.metadata.sequence.stream
                    if seq <= last:
                        skipped += 1
                        continue
                    envelope = decode(msg, self.registry)
                    if self.projection.apply_batch is not None:
                        batch.append(envelope)
                    else:
                        with message_span(envelope, self.name):
                            await self.projection.apply(deferred, envelope)
                    applied += 1
                    if envelope.correlation_id is not None:
                        correlations.add(str(envelope.correlation_id))
                    if trace := trace_id_of(envelope.traceparent):
                        traces.add(trace)
                    last = seq
                if batch and self.projection.apply_batch is not None:
                    await self.projection.apply_batch(conn, batch)
                await deferred.flush()
                if last != checkpoint:
                    await conn.execute(
                        "UPDATE consumer_checkpoints SET stream_seq = $2, updated_at = now() WHERE consumer = $1",
                        self.name,
                        last,
                    )
        except (asyncpg.InterfaceError, ConnectionError, OSError):
            raise  # the connection is gone: restart, don't retry on it
        except Exception as exc:  # noqa: BLE001 - a poison message or a failing apply: the careful path
            log.info("consumer.batch_redone_one_by_one", consumer=self.name, error=repr(exc)[:500])
            return False
        self.stats.applied += applied
        self.stats.skipped += skipped
        await self._ack(msgs)
        if applied:  # one line per batch (not per message): a request can be followed by its ids
            log.info(
                "consumer.applied",
                consumer=self.name,
                count=applied,
                last_seq=msgs[-1].metadata.sequence.stream,
                correlation_ids=sorted(correlations),
                trace_ids=sorted(traces),
            )
        return True

    async def _apply(self, conn: asyncpg.Connection, msgs: list[Msg], *, first_failures: int) -> int | None:
        """Apply ``msgs`` in one transaction with the checkpoint; the index that failed, if any."""
        done: list[Msg] = []
        failed_at: int | None = None
        correlations: set[str] = set()
        applied = 0
        async with conn.transaction():
            checkpoint = await conn.fetchval(
                "SELECT stream_seq FROM consumer_checkpoints WHERE consumer = $1 FOR UPDATE", self.name
            )
            last = checkpoint
            for index, msg in enumerate(msgs):
                seq = msg.metadata.sequence.stream
                if seq <= last:
                    self.stats.skipped += 1
                    done.append(msg)
                    continue
                try:
                    envelope = decode(msg, self.registry)
                    with message_span(envelope, self.name):
                        async with conn.transaction():  # a savepoint: a failed apply leaves no trace
                            await self.projection.apply(conn, envelope)
                except PoisonMessageError as exc:
                    await self._dead_letter(conn, msg, str(exc), attempts=1)
                except Exception as exc:  # noqa: BLE001 - a projection bug or a transient failure
                    attempts = (first_failures if index == 0 else 0) + 1
                    if attempts < self.max_deliver:
                        self.stats.last_error = repr(exc)
                        log.warning("consumer.apply_failed", consumer=self.name, seq=seq, error=repr(exc))
                        failed_at = index
                        break
                    await self._dead_letter(conn, msg, f"failed {attempts} times: {exc!r}", attempts=attempts)
                else:
                    self.stats.applied += 1
                    applied += 1
                    if envelope.correlation_id is not None:
                        correlations.add(str(envelope.correlation_id))
                last = seq
                done.append(msg)
            if last != checkpoint:
                await conn.execute(
                    "UPDATE consumer_checkpoints SET stream_seq = $2, updated_at = now() WHERE consumer = $1",
                    self.name,
                    last,
                )
        await self._ack(done)
        if applied:
            log.info(
                "consumer.applied", consumer=self.name, count=applied, correlation_ids=sorted(correlations)
            )
        return failed_at

    async def _ack(self, msgs: list[Msg]) -> None:
        """``msgs`` is a prefix of a fetched batch, in stream order: acking the last acks all."""
        if msgs:
            await msgs[-1].ack()

    async def _abandon(self, fetch: asyncio.Future[list[Msg]]) -> None:
        """Stop a prefetch; hand back what it fetched."""
        if not fetch.done():
            fetch.cancel()
            fetch.add_done_callback(lambda f: f.cancelled() or f.exception())  # nothing to report
        elif not fetch.cancelled() and fetch.exception() is None:
            await self._release(fetch.result())

    @staticmethod
    async def _release(msgs: list[Msg]) -> None:
        """Hand unacknowledged messages back at once, so a successor need not wait ``ack_wait``."""
        for msg in msgs:
            with contextlib.suppress(Exception):
                await asyncio.shield(msg.nak())

    async def _dead_letter(self, conn: asyncpg.Connection, msg: Msg, error: str, *, attempts: int) -> None:
        self.stats.dead_lettered += 1
        log.error("consumer.dead_letter", consumer=self.name, seq=msg.metadata.sequence.stream, error=error)
        await conn.execute(
            "INSERT INTO dead_letters (consumer, stream, stream_seq, subject, headers, payload, error, attempts)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (consumer, stream_seq) DO NOTHING",
            self.name,
            msg.metadata.stream,
            msg.metadata.sequence.stream,
            msg.subject,
            dict(msg.headers or {}),
            msg.data,
            error,
            attempts,
        )

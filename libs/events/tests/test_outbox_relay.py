"""The outbox relay: every committed event reaches JetStream exactly once, in stream order."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator

import pytest

from campus_devstack.jetstream import stream_envelopes, stream_messages
from campus_events import bus
from campus_events.envelope import Envelope
from campus_events.outbox import OutboxRelay, outbox_backlog
from campus_events.store.base import ConcurrencyError
from campus_events.store.postgres import PostgresEventStore
from campus_events.streams import ensure_streams

from .conftest import make_event

STREAM = "CAMPUS_CATALOG"


@pytest.fixture
async def nc(nats_server):
    conn = await bus.connect(nats_server.url, name="test", reconnect_time_wait=0.1)
    await ensure_streams(conn.jetstream())
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def relay(database_url, pg_pool, nc) -> AsyncIterator[OutboxRelay]:
    relay = OutboxRelay(database_url, nc, publish_timeout=1.0, max_backoff=0.5)
    task = asyncio.create_task(relay.run())
    try:
        yield relay
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def wait_until_drained(pg_pool, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with pg_pool.acquire() as conn:
        while await outbox_backlog(conn):
            assert asyncio.get_running_loop().time() < deadline, "outbox did not drain"
            await asyncio.sleep(0.05)


async def test_concurrent_writers_reach_jetstream_exactly_once_in_stream_order(pg_pool, nc, relay):
    store = PostgresEventStore(pg_pool)
    committed: list = []
    hot = f"course-{uuid.uuid4()}"

    async def random_writer() -> None:
        for i in range(200):
            stream = (
                f"course-{uuid.uuid4()}"
                if random.random() < 0.5
                else f"course-{random.randint(1, 10):08d}-0000-0000-0000-000000000000"
            )
            result = await store.append([make_event(stream, i)], {stream: None})
            committed.extend(result.events)

    async def hot_writer(w: int) -> None:
        for i in range(20):
            while True:
                version = await store.stream_version(hot)
                try:
                    result = await store.append([make_event(hot, w * 100 + i)], {hot: version})
                    committed.extend(result.events)
                    break
                except ConcurrencyError:
                    await asyncio.sleep(0)

    await asyncio.gather(*(random_writer() for _ in range(20)), *(hot_writer(w) for w in range(20)))
    assert len(committed) == 20 * 200 + 20 * 20
    await wait_until_drained(pg_pool)

    published = await stream_envelopes(nc, STREAM)
    counts = Counter(e.id for e in published)
    assert set(counts) == {e.id for e in committed}, "an event is missing from JetStream"
    assert max(counts.values()) == 1, "an event was published twice"
    by_stream: dict[str, list[int]] = defaultdict(list)
    for e in published:
        by_stream[e.stream].append(e.stream_version)
    for stream, versions in by_stream.items():
        assert versions == list(range(1, len(versions) + 1)), f"{stream} out of order: {versions[:20]}"
    assert len(by_stream[hot]) == 400


async def test_relay_survives_a_nats_outage(pg_pool, nats_server, nc, relay):
    store = PostgresEventStore(pg_pool)
    before = make_event()
    await store.append([before], {before.stream: 0})
    await wait_until_drained(pg_pool)

    nats_server.stop()
    appended = []
    for i in range(500):  # commands keep being accepted while the broker is away
        event = make_event(n=i)
        appended.append((await store.append([event], {event.stream: 0})).events[0])
    async with pg_pool.acquire() as conn:
        assert await outbox_backlog(conn) == 500
    nats_server.start()

    await wait_until_drained(pg_pool, timeout=60)
    published = await stream_envelopes(nc, STREAM)
    counts = Counter(e.id for e in published)
    assert {e.id for e in appended} | {before.id} == set(counts)
    assert max(counts.values()) == 1


async def test_one_active_relay_per_database_and_a_standby_takes_over(database_url, pg_pool, nc):
    first = OutboxRelay(database_url, nc, poll_interval=0.1)
    second = OutboxRelay(database_url, nc, poll_interval=0.1)
    tasks = {first: asyncio.create_task(first.run())}
    await asyncio.sleep(0.3)  # the first takes the lock
    tasks[second] = asyncio.create_task(second.run())
    try:
        await asyncio.sleep(0.3)
        assert first.stats.active and not second.stats.active
        tasks[first].cancel()  # the active relay dies: its session and lock go with it
        await asyncio.gather(tasks[first], return_exceptions=True)
        for _ in range(50):
            if second.stats.active:
                break
            await asyncio.sleep(0.05)
        assert second.stats.active
        store = PostgresEventStore(pg_pool)
        event = make_event()
        await store.append([event], {event.stream: 0})
        await wait_until_drained(pg_pool, timeout=10)
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)


async def test_a_late_commit_with_a_lower_position_is_still_published(pg_pool, nc, relay):
    """Position 1 commits after position 2 is visible: a relay that reads 'position > last' loses it."""
    store = PostgresEventStore(pg_pool)
    slow, fast = make_event(), make_event()
    async with pg_pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await store.append([slow], {slow.stream: 0}, connection=conn)  # takes the lower position
        await store.append([fast], {fast.stream: 0})  # commits first
        await asyncio.sleep(0.5)  # the relay publishes `fast` meanwhile
        await tx.commit()
    await wait_until_drained(pg_pool)
    ids = {e.id for e in await stream_envelopes(nc, STREAM)}
    assert {slow.id, fast.id} <= ids


async def test_the_relay_payload_is_the_envelope_cloudevent(pg_pool):
    """The relay builds CloudEvents straight from rows: it must equal the Envelope's own form."""
    from campus_events.outbox import cloudevent_of
    from campus_events.store.postgres import EVENT_COLUMNS, row_to_envelope

    store = PostgresEventStore(pg_pool)
    event = make_event(correlation="x").model_copy(
        update={"correlation_id": uuid.uuid4(), "traceparent": "00-ab-cd-01"}
    )
    await store.append([event], {event.stream: 0})
    row = await pg_pool.fetchrow(f"SELECT {EVENT_COLUMNS} FROM events WHERE event_id = $1", event.id)
    subject, payload = cloudevent_of(row)
    envelope = row_to_envelope(row)
    assert subject == envelope.subject
    assert json.loads(payload) == json.loads(envelope.to_json())


async def test_the_relay_publishes_the_recorded_cloudevent_byte_for_byte(pg_pool, nc, relay):
    """The append writes the message into the outbox row; the relay sends those bytes."""
    store = PostgresEventStore(pg_pool)
    stream = f"course-{uuid.uuid4()}"
    first = await store.append([make_event(stream, 1, title="Élan")], {stream: 0})
    more = await store.append(
        [make_event(stream, 2), make_event(stream, 3)], {stream: 1}, idempotency_key="k"
    )
    recorded = [*first.events, *more.events]
    await wait_until_drained(pg_pool)

    published = {Envelope.from_json(data).id: data for _, data in await stream_messages(nc, STREAM)}
    for event in recorded:
        assert published[event.id] == event.to_json()
    assert [json.loads(published[e.id])["campusversion"] for e in recorded] == [1, 2, 3]


async def test_a_row_queued_before_the_payload_column_is_still_published(pg_pool, nc, relay):
    store = PostgresEventStore(pg_pool)
    async with pg_pool.acquire() as conn, conn.transaction():
        event = make_event()
        recorded = (await store.append([event], {event.stream: 0}, connection=conn)).events[0]
        # As an outbox row written by a store before migration 004: the position only.
        await conn.execute(
            "UPDATE outbox SET subject = NULL, payload = NULL, event_id = NULL, correlation_id = NULL,"
            " traceparent = NULL, occurred_at = NULL WHERE position = $1",
            recorded.position,
        )
    await wait_until_drained(pg_pool)
    published = [Envelope.from_json(data) for _, data in await stream_messages(nc, STREAM)]
    assert [e.id for e in published] == [event.id]
    assert published[0].stream_version == 1 and published[0].data == recorded.data

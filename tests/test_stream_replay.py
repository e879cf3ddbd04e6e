"""Replay from the beginning: a consumer created after 1,000 events receives all of them, in order,
then follows the new ones; the streams keep everything (limits retention, nothing discarded).

Real PostgreSQL (the event store and its outbox) and NATS JetStream (the relay publishing to the
contract's streams), as a service runs them."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client as NATS
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, DiscardPolicy, RetentionPolicy
from nats.js.client import JetStreamContext

from campus_events import bus
from campus_events.contracts import (
    ImplementationRecorded,
    NeedsAnalysisRecorded,
    ProjectOpened,
    TrainingPathDesigned,
)
from campus_events.contracts.samples import samples
from campus_events.envelope import Envelope, envelope_for
from campus_events.migrate import kernel_migrations, migrate
from campus_events.outbox import OutboxRelay
from campus_events.registry import CONTEXTS, stream_for_context
from campus_events.store.postgres import PostgresEventStore, create_pool
from campus_events.streams import ensure_streams
from campus_service.testing import eventually

STREAM = "CAMPUS_PROJECTS"
HISTORY = 1000
LIFECYCLE = (ProjectOpened, NeedsAnalysisRecorded, TrainingPathDesigned, ImplementationRecorded)
SAMPLES = samples()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, max_size=4)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, kernel_migrations())
        yield pool
    finally:
        await pool.close()


@pytest.fixture
async def nc(nats_server: Any) -> AsyncIterator[NATS]:
    conn = await bus.connect(nats_server.url, name="replay-test")
    await ensure_streams(conn.jetstream())  # as every service does at start-up
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def relay(database_url: str, pool: asyncpg.Pool, nc: NATS) -> AsyncIterator[None]:
    task = asyncio.create_task(OutboxRelay(database_url, nc).run())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def open_projects(store: PostgresEventStore, count: int, ministries: tuple[str, ...]) -> None:
    """``count`` projects, four events each (one append per project), alternating ministries."""
    for i in range(count):
        project_id, ministry = uuid.uuid4(), ministries[i % len(ministries)]
        events = []
        for model in LIFECYCLE:
            update: dict[str, Any] = {"project_id": project_id}
            if model is ProjectOpened:
                update["ministry"] = ministry
            event = SAMPLES[model].event.model_copy(update=update)
            events.append(envelope_for(event, project_id, ministry=ministry))
        await store.append(events, {events[0].stream: 0})


async def read(sub: JetStreamContext.PullSubscription, count: int, within: float = 60.0) -> list[Any]:
    """The next ``count`` messages of a pull consumer, acknowledged one by one."""
    received: list[Any] = []
    deadline = asyncio.get_running_loop().time() + within
    while len(received) < count:
        assert asyncio.get_running_loop().time() < deadline, f"{len(received)} of {count} messages"
        try:
            batch = await sub.fetch(min(256, count - len(received)), timeout=2.0)
        except NatsTimeoutError:
            continue
        for msg in batch:
            await msg.ack()
        received.extend(batch)
    return received


async def nothing_more(sub: JetStreamContext.PullSubscription) -> bool:
    try:
        extra = await sub.fetch(1, timeout=0.5)
    except NatsTimeoutError:
        return True
    raise AssertionError(f"unexpected message {extra[0].subject}")


async def stored(pool: asyncpg.Pool) -> list[Envelope]:
    store, out = PostgresEventStore(pool), []
    while batch := await store.read_all(out[-1].position if out else 0):
        out.extend(batch)
    return out


def ids(messages: list[Any]) -> list[str]:
    return [json.loads(m.data)["id"] for m in messages]


async def published(js: JetStreamContext, count: int) -> bool:
    return (await js.stream_info(STREAM)).state.messages >= count


async def test_a_consumer_started_after_1000_events_replays_them_in_order_then_follows(pool, nc, relay):
    js, store = nc.jetstream(), PostgresEventStore(pool)
    await open_projects(store, HISTORY // len(LIFECYCLE), ("dinum", "mefsin"))
    await eventually(lambda: published(js, HISTORY), within=60)
    history = await stored(pool)
    assert len(history) == HISTORY

    # A service (or a ministry that may read everything) replays the whole stream from the start.
    name = f"replay-{uuid.uuid4().hex[:8]}"
    config = ConsumerConfig(
        durable_name=name, deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.EXPLICIT
    )
    sub = await js.pull_subscribe("campus.projects.>", durable=name, stream=STREAM, config=config)
    first = await read(sub, HISTORY)

    assert [m.metadata.sequence.stream for m in first] == list(range(1, HISTORY + 1))
    assert ids(first) == [str(e.id) for e in history]  # the store's position order
    assert all(m.headers["Nats-Msg-Id"] == json.loads(m.data)["id"] for m in first)
    assert [Envelope.from_json(m.data).stream_version for m in first[:4]] == [1, 2, 3, 4]
    assert await nothing_more(sub)

    # It follows the events appended afterwards.
    await open_projects(store, 10, ("dinum",))
    followed = await read(sub, 40)
    assert [m.metadata.sequence.stream for m in followed] == list(range(HISTORY + 1, HISTORY + 41))
    assert ids(followed) == [str(e.id) for e in (await stored(pool))[HISTORY:]]

    # Down for a while: the durable consumer resumes after the last acknowledged message.
    await sub.unsubscribe()
    await open_projects(store, 5, ("mefsin",))
    await eventually(lambda: published(js, HISTORY + 60), within=30)
    sub = await js.pull_subscribe_bind(durable=name, stream=STREAM)
    resumed = await read(sub, 20)
    assert [m.metadata.sequence.stream for m in resumed] == list(range(HISTORY + 41, HISTORY + 61))
    assert await nothing_more(sub)
    await sub.unsubscribe()


async def test_a_ministry_consumer_replays_its_own_scope_from_the_first_event(pool, nc, relay):
    js, store = nc.jetstream(), PostgresEventStore(pool)
    await open_projects(store, HISTORY // len(LIFECYCLE), ("dinum", "mefsin"))
    await eventually(lambda: published(js, HISTORY), within=60)
    expected = [str(e.id) for e in await stored(pool) if e.ministry == "mefsin"]

    name = f"mefsin-{uuid.uuid4().hex[:8]}"
    config = ConsumerConfig(
        durable_name=name,
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        filter_subject="campus.projects.mefsin.>",
    )
    sub = await js.pull_subscribe("campus.projects.mefsin.>", durable=name, stream=STREAM, config=config)
    mine = await read(sub, len(expected))

    assert ids(mine) == expected and len(mine) == HISTORY // 2
    sequences = [m.metadata.sequence.stream for m in mine]
    assert sequences == sorted(sequences)
    assert {m.subject.split(".")[2] for m in mine} == {"mefsin"}
    assert await nothing_more(sub)
    await sub.unsubscribe()


async def test_streams_keep_every_event_limits_retention_and_nothing_discarded(nc):
    js = nc.jetstream()
    for context in CONTEXTS:
        config = (await js.stream_info(stream_for_context(context))).config

        assert config.retention == RetentionPolicy.LIMITS, context
        assert config.discard == DiscardPolicy.OLD, context  # never refuse a new event
        assert config.max_msgs in (None, -1) and config.max_bytes in (None, -1), context
        assert config.max_age in (None, 0), context
        assert config.max_msgs_per_subject in (None, -1), context
        assert config.subjects == [f"campus.{context}.>"]


async def test_ensure_streams_restores_a_stream_someone_limited(nc):
    js = nc.jetstream()
    info = await js.stream_info(STREAM)
    limited = info.config
    limited.max_age, limited.max_msgs = 3600.0, 10
    await js.update_stream(limited)
    assert (await js.stream_info(STREAM)).config.max_msgs == 10

    await ensure_streams(js)

    config = (await js.stream_info(STREAM)).config
    assert config.max_msgs in (None, -1) and config.max_age in (None, 0)

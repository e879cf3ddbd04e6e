"""Projection consumers: exactly-once effect, dead letters, one active instance."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator

import pytest

from campus_events import bus
from campus_events.consumer import Projection, ProjectionConsumer
from campus_events.envelope import envelope_for
from campus_events.registry import CampusEvent, Registry
from campus_events.streams import ensure_streams

STREAM = "CAMPUS_CATALOG"
reg = Registry()


@reg.register
class Counted(CampusEvent):
    context = "catalog"
    aggregate = "course"
    public = True
    n: int


async def apply_counted(conn, envelope) -> None:
    event = envelope.event(reg)
    if event.n < 0:
        raise RuntimeError(f"projection cannot apply n={event.n}")
    if event.n % 97 == 0:
        await asyncio.sleep(0.01)  # gives a cancellation somewhere to land mid-batch
    await conn.execute("INSERT INTO counted (event_id, n) VALUES ($1, $2)", envelope.id, event.n)


@pytest.fixture
async def nc(nats_server):
    conn = await bus.connect(nats_server.url, name="test")
    await ensure_streams(conn.jetstream(), ("catalog",))
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def projection_db(pg_pool):
    async with pg_pool.acquire() as conn:
        # Deliberately no unique key: a message applied twice shows up as a duplicate row.
        await conn.execute("CREATE TABLE counted (event_id uuid NOT NULL, n integer NOT NULL)")
    return pg_pool


def projection(name: str | None = None) -> Projection:
    return Projection(
        name=name or f"test-{uuid.uuid4().hex[:8]}",
        stream=STREAM,
        subjects=("campus.catalog.public.course.>",),
        apply=apply_counted,
    )


async def publish(nc, payloads: list[tuple[bytes, str]]) -> None:
    js = nc.jetstream()
    for data, subject in payloads:
        await js.publish(subject, data, headers={"Nats-Msg-Id": str(uuid.uuid4())})


def counted(n: int) -> tuple[bytes, str]:
    envelope = envelope_for(Counted(n=n), uuid.uuid4())
    return envelope.to_json(), envelope.subject


@pytest.fixture
async def running() -> AsyncIterator[list[asyncio.Task]]:
    tasks: list[asyncio.Task] = []
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def wait_for_rows(pool, expected: int, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (rows := await pool.fetchval("SELECT count(*) FROM counted")) < expected:
        assert loop.time() < deadline, f"{rows} rows of {expected}"
        await asyncio.sleep(0.05)


async def test_cancelled_mid_batch_then_restarted_applies_each_event_once(
    database_url, projection_db, nc, running
):
    total = 3000
    await publish(nc, [counted(i) for i in range(1, total + 1)])
    proj = projection()
    first = ProjectionConsumer(database_url, nc, proj, batch_size=500, reg=reg)
    task = asyncio.create_task(first.run())
    while first.stats.applied < 600:
        await asyncio.sleep(0.005)
    task.cancel()  # lands inside a batch's transaction
    await asyncio.gather(task, return_exceptions=True)
    partial = await projection_db.fetchval("SELECT count(*) FROM counted")
    assert 0 < partial < total

    second = ProjectionConsumer(database_url, nc, proj, batch_size=500, reg=reg, ack_wait=2.0)
    running.append(asyncio.create_task(second.run()))
    await wait_for_rows(projection_db, total)
    await asyncio.sleep(0.5)  # any redelivery would land now
    rows = await projection_db.fetchrow("SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM counted")
    assert rows["n"] == rows["d"] == total


class LosesFirstAcks(ProjectionConsumer):
    """Commits, then 'loses' its acks once, as a connection drop between commit and ack would."""

    lost = False

    async def _ack(self, msgs):
        if not self.lost:
            self.lost = True
            return
        await super()._ack(msgs)


async def test_redelivered_messages_at_or_below_the_checkpoint_are_skipped(
    database_url, projection_db, nc, running
):
    await publish(nc, [counted(i) for i in range(1, 201)])
    consumer = LosesFirstAcks(database_url, nc, projection(), reg=reg, ack_wait=1.0, batch_size=500)
    running.append(asyncio.create_task(consumer.run()))
    await wait_for_rows(projection_db, 200)
    deadline = asyncio.get_running_loop().time() + 10
    while consumer.stats.skipped < 200:  # JetStream redelivers the unacked batch after ack_wait
        assert asyncio.get_running_loop().time() < deadline, f"skipped {consumer.stats.skipped}"
        await asyncio.sleep(0.05)
    assert consumer.stats.applied == 200
    rows = await projection_db.fetchrow("SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM counted")
    assert rows["n"] == rows["d"] == 200


async def test_poison_messages_are_dead_lettered_and_the_rest_applied(
    database_url, projection_db, nc, running
):
    unknown = envelope_for(Counted(n=5), uuid.uuid4()).to_cloudevent()
    unknown["type"] = "fr.gouv.campus.catalog.CourseTeleported.v1"
    future = envelope_for(Counted(n=6), uuid.uuid4()).to_cloudevent()
    future["type"] = "fr.gouv.campus.catalog.Counted.v9"
    import json

    subject = "campus.catalog.public.course.Counted"
    await publish(
        nc,
        [
            counted(1),
            (b"{not json", subject),
            counted(2),
            (json.dumps(unknown).encode(), subject),
            counted(-1),  # the projection always fails on it
            (json.dumps(future).encode(), subject),
            (b"x" * (600 * 1024), subject),
            counted(3),
        ],
    )
    consumer = ProjectionConsumer(database_url, nc, projection(), reg=reg, max_deliver=3)
    running.append(asyncio.create_task(consumer.run()))
    await wait_for_rows(projection_db, 3)
    assert sorted(r["n"] for r in await projection_db.fetch("SELECT n FROM counted")) == [1, 2, 3]
    letters = await projection_db.fetch(
        "SELECT stream_seq, error, attempts FROM dead_letters ORDER BY stream_seq"
    )
    assert [r["stream_seq"] for r in letters] == [2, 4, 5, 6, 7]
    assert "undecodable" in letters[0]["error"]
    assert "CourseTeleported" in letters[1]["error"]
    assert letters[2]["attempts"] == 3 and "n=-1" in letters[2]["error"]
    assert "v9" in letters[3]["error"]
    assert "exceeds" in letters[4]["error"]


async def apply_counted_batch(conn, envelopes) -> None:
    """``apply_counted`` for many envelopes in one executemany (it fails on n < 0 as apply does)."""
    events = [envelope.event(reg) for envelope in envelopes]
    if any(event.n < 0 for event in events):
        raise RuntimeError("projection cannot apply a negative n")
    await conn.executemany(
        "INSERT INTO counted (event_id, n) VALUES ($1, $2)",
        [(envelope.id, event.n) for envelope, event in zip(envelopes, events, strict=True)],
    )
    BATCH_CALLS.append(len(envelopes))


BATCH_CALLS: list[int] = []


async def test_a_batch_apply_applies_each_event_once_and_a_failing_batch_falls_back_to_one_by_one(
    database_url, projection_db, nc, running
):
    BATCH_CALLS.clear()
    batched = dataclasses.replace(projection(), apply_batch=apply_counted_batch)
    consumer = ProjectionConsumer(database_url, nc, batched, reg=reg, batch_size=100, max_deliver=2)
    await publish(nc, [counted(i) for i in range(1, 251)])
    running.append(asyncio.create_task(consumer.run()))
    await wait_for_rows(projection_db, 250)
    assert BATCH_CALLS and sum(BATCH_CALLS) == 250 and max(BATCH_CALLS) > 1  # by batches, not one by one

    await publish(nc, [counted(251), counted(-1), counted(252)])  # the batch fails: one by one then
    await wait_for_rows(projection_db, 252)
    rows = await projection_db.fetchrow("SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM counted")
    assert rows["n"] == rows["d"] == 252
    assert await projection_db.fetchval("SELECT max(n) FROM counted") == 252
    letters = await projection_db.fetch("SELECT stream_seq, attempts FROM dead_letters")
    assert [(r["stream_seq"], r["attempts"]) for r in letters] == [(252, 2)]
    assert consumer.stats.applied == 252 and consumer.stats.dead_lettered == 1


async def test_one_active_consumer_per_projection(database_url, projection_db, nc, running):
    proj = projection()
    a = ProjectionConsumer(database_url, nc, proj, reg=reg, standby_interval=0.1)
    b = ProjectionConsumer(database_url, nc, proj, reg=reg, standby_interval=0.1)
    running.extend([asyncio.create_task(a.run()), asyncio.create_task(b.run())])
    await publish(nc, [counted(i) for i in range(1, 51)])
    await wait_for_rows(projection_db, 50)
    assert a.stats.active != b.stats.active
    active, standby = (a, b) if a.stats.active else (b, a)
    running[0 if active is a else 1].cancel()  # the active one dies: the standby takes over
    await publish(nc, [counted(i) for i in range(51, 61)])
    await wait_for_rows(projection_db, 60, timeout=10)
    assert standby.stats.active
    assert await projection_db.fetchval("SELECT count(DISTINCT event_id) FROM counted") == 60

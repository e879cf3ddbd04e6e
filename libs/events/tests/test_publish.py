"""BatchPublisher: which messages of a batch JetStream stored, from the answers on its reply subjects."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from campus_events import bus
from campus_events.publish import BatchPublisher
from campus_events.streams import ensure_streams

STREAM = "CAMPUS_CATALOG"


@pytest.fixture
async def nc(nats_server):
    conn = await bus.connect(nats_server.url, name="test", reconnect_time_wait=0.1)
    await ensure_streams(conn.jetstream(), ("catalog",))
    try:
        yield conn
    finally:
        await conn.close()


def message(payload: bytes, **headers: str) -> tuple[str, bytes, dict[str, str]]:
    return (
        "campus.catalog.dinum.course.CourseArchived",
        payload,
        {"Nats-Msg-Id": str(uuid.uuid4()), **headers},
    )


async def stream_last_seq(nc) -> int:
    return (await nc.jetstream().stream_info(STREAM)).state.last_seq


async def test_a_batch_is_stored_in_order_and_every_message_is_marked_stored(nc):
    publisher = BatchPublisher(nc)
    before = await stream_last_seq(nc)
    batch = [message(f"m{i}".encode()) for i in range(300)]
    acks = await publisher.publish(batch)
    assert acks.sent == 300 and acks.error is None
    assert await acks.wait(5.0) == [True] * 300
    js = nc.jetstream()
    stored = [(await js.get_msg(STREAM, before + 1 + i)).data for i in range(300)]
    assert stored == [payload for _, payload, _ in batch]


async def test_a_duplicate_counts_as_stored_and_is_not_stored_twice(nc):
    publisher = BatchPublisher(nc)
    first = message(b"once")
    assert await (await publisher.publish([first])).wait(5.0) == [True]
    after_first = await stream_last_seq(nc)
    assert await (await publisher.publish([first, message(b"next")])).wait(5.0) == [True, True]
    assert await stream_last_seq(nc) == after_first + 1  # "next" only


async def test_a_refused_message_is_marked_alone_with_the_reason(nc):
    publisher = BatchPublisher(nc)
    batch = [message(b"a"), message(b"b", **{"Nats-Expected-Stream": "NOT_THIS_ONE"}), message(b"c")]
    acks = await publisher.publish(batch)
    assert await acks.wait(5.0) == [True, False, True]
    assert acks.error is not None and "expected stream does not match" in acks.error


async def test_a_subject_no_stream_holds_is_refused_at_once(nc):
    publisher = BatchPublisher(nc)
    acks = await publisher.publish([("campus.nowhere.x", b"lost", {"Nats-Msg-Id": str(uuid.uuid4())})])
    started = time.monotonic()
    assert await acks.wait(5.0) == [False]
    assert time.monotonic() - started < 4.0  # answered (no responders), not timed out
    assert acks.error is not None and "503" in acks.error


async def test_an_unanswered_message_is_not_stored_and_a_late_answer_is_ignored(nc):
    # A plain subscriber takes the subject and answers only after the deadline.
    answers: list = []

    async def late(msg) -> None:
        await asyncio.sleep(0.5)
        answers.append(msg.reply)
        await nc.publish(msg.reply, b'{"stream":"CAMPUS_CATALOG","seq":1}')

    sub = await nc.subscribe("campus.slow.x", cb=late)
    publisher = BatchPublisher(nc)
    acks = await publisher.publish([("campus.slow.x", b"slow", {})])
    assert await acks.wait(0.2) == [False]
    await asyncio.sleep(0.6)
    assert answers, "the late answer was sent"
    assert acks.stored == [False]  # the batch was settled: its late answer changes nothing
    assert not publisher._batches
    await sub.unsubscribe()


async def test_a_closed_connection_stops_the_batch_and_says_why(nats_server):
    conn = await bus.connect(nats_server.url, name="test")
    publisher = BatchPublisher(conn)
    await conn.close()
    acks = await publisher.publish([message(b"x"), message(b"y")])
    assert acks.sent == 0 and acks.error is not None
    assert await acks.wait(5.0) == [False, False]


async def test_batches_never_waited_for_are_not_kept_forever(nc):
    from campus_events.publish import MAX_BATCHES

    publisher = BatchPublisher(nc)
    abandoned = [await publisher.publish([message(b"x")]) for _ in range(MAX_BATCHES + 10)]
    assert len(publisher._batches) == MAX_BATCHES
    newest = abandoned[-1]
    assert await newest.wait(5.0) == [True]  # the newest ones are still answered

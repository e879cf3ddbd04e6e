"""The event store contract, run against the in-memory and the PostgreSQL store."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from campus_events.store.base import ConcurrencyError

from .conftest import make_event


def new_stream() -> str:
    return f"course-{uuid.uuid4()}"


async def test_append_then_read_in_order(store):
    stream = new_stream()
    first = await store.append([make_event(stream, 1), make_event(stream, 2)], {stream: 0})
    assert [e.stream_version for e in first.events] == [1, 2]
    await store.append([make_event(stream, 3)], {stream: 2})
    events = await store.read_stream(stream)
    assert [e.data["n"] for e in events] == [1, 2, 3]
    assert [e.stream_version for e in events] == [1, 2, 3]
    assert await store.stream_version(stream) == 3
    assert [e.data["n"] for e in await store.read_stream(stream, from_version=3)] == [3]


async def test_stale_expected_version_raises_and_writes_nothing(store):
    stream = new_stream()
    await store.append([make_event(stream, 1)], {stream: 0})
    with pytest.raises(ConcurrencyError):
        await store.append([make_event(stream, 2)], {stream: 0})
    with pytest.raises(ConcurrencyError):
        await store.append([make_event(stream, 2)], {stream: 5})
    assert [e.data["n"] for e in await store.read_stream(stream)] == [1]


async def test_expected_none_appends_at_any_version(store):
    stream = new_stream()
    await store.append([make_event(stream, 1)], {stream: None})
    result = await store.append([make_event(stream, 2)], {stream: None})
    assert result.events[0].stream_version == 2


async def test_multi_stream_append_is_atomic(store):
    a, b = new_stream(), new_stream()
    await store.append([make_event(a, 1)], {a: 0})
    await store.append([make_event(b, 1)], {b: 0})
    await store.append([make_event(b, 2)], {b: 1})  # b moves on: a writer holding b@1 is stale
    with pytest.raises(ConcurrencyError):
        await store.append([make_event(a, 2), make_event(b, 3)], {a: 1, b: 1})
    assert await store.stream_version(a) == 1
    assert await store.stream_version(b) == 2
    ok = await store.append([make_event(a, 2), make_event(b, 3)], {a: 1, b: 2})
    assert {(e.stream, e.stream_version) for e in ok.events} == {(a, 2), (b, 3)}


async def test_a_checked_stream_without_events_guards_the_append(store):
    guard, target = new_stream(), new_stream()
    await store.append([make_event(guard, 1)], {guard: 0})
    await store.append([make_event(guard, 2)], {guard: 1})
    with pytest.raises(ConcurrencyError):
        await store.append([make_event(target, 1)], {target: 0, guard: 1})
    assert await store.read_stream(target) == []


async def test_idempotency_key_replay_returns_first_result(store):
    stream, key = new_stream(), f"key-{uuid.uuid4()}"
    first = await store.append(
        [make_event(stream, 1)], {stream: 0}, idempotency_key=key, result={"id": "first"}
    )
    assert not first.replayed
    again = await store.append(
        [make_event(stream, 2)], {stream: 1}, idempotency_key=key, result={"id": "second"}
    )
    assert again.replayed
    assert again.result == {"id": "first"}
    assert again.events == ()
    assert [e.data["n"] for e in await store.read_stream(stream)] == [1]
    assert await store.idempotent_result(key) == (True, {"id": "first"})
    assert await store.idempotent_result("never-used") == (False, None)


async def test_a_failed_append_does_not_consume_its_idempotency_key(store):
    stream, key = new_stream(), f"key-{uuid.uuid4()}"
    await store.append([make_event(stream, 1)], {stream: 0})
    with pytest.raises(ConcurrencyError):
        await store.append([make_event(stream, 2)], {stream: 0}, idempotency_key=key, result=1)
    assert await store.idempotent_result(key) == (False, None)


async def test_every_event_stream_needs_an_expected_version(store):
    with pytest.raises(ValueError):
        await store.append([make_event(new_stream(), 1)], {})


async def test_concurrent_writers_on_one_stream_never_share_a_version(store):
    stream = new_stream()
    await store.append([make_event(stream, 0)], {stream: 0})

    async def writer(i: int) -> bool:
        version = await store.stream_version(stream)
        try:
            await store.append([make_event(stream, i)], {stream: version})
            return True
        except ConcurrencyError:
            return False

    outcomes = await asyncio.gather(*(writer(i) for i in range(1, 21)))
    events = await store.read_stream(stream)
    assert len(events) == 1 + sum(outcomes)
    assert [e.stream_version for e in events] == list(range(1, len(events) + 1))


async def test_read_all_in_position_order(store):
    streams = [new_stream() for _ in range(3)]
    for i, s in enumerate(streams):
        await store.append([make_event(s, i)], {s: 0})
    everything = await store.read_all()
    positions = [e.position for e in everything]
    assert positions == sorted(positions)
    assert [e.stream for e in everything][-3:] == streams


async def test_streams_with_finds_the_streams_of_an_event_field_once_each_in_order(store):
    project = str(uuid.uuid4())
    first, second, other = new_stream(), new_stream(), new_stream()
    await store.append([make_event(first, 1, project=project)], {first: 0})
    await store.append([make_event(other, 1, project=str(uuid.uuid4()))], {other: 0})
    await store.append([make_event(second, 1, project=project)], {second: 0})
    await store.append([make_event(first, 2, project=project)], {first: 1})  # the same stream again
    assert await store.streams_with("CourseRevised", "project", project) == [first, second]
    assert await store.streams_with("CourseProposed", "project", project) == []  # another type
    assert await store.streams_with("CourseRevised", "project", str(uuid.uuid4())) == []

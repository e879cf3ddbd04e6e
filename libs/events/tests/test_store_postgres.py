"""What only the PostgreSQL store does: combined single-event appends, races decided by the
unique (stream, version) index, and a caller's transaction left usable by a lost race."""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg
import pytest

from campus_events.store.base import ConcurrencyError
from campus_events.store.postgres import PostgresEventStore

from .conftest import make_event


def new_stream() -> str:
    return f"course-{uuid.uuid4()}"


async def outbox_positions(pool: asyncpg.Pool) -> set[int]:
    return {r["position"] for r in await pool.fetch("SELECT position FROM outbox")}


async def test_concurrent_single_event_appends_share_statements_and_each_stands_alone(pg_pool):
    store = PostgresEventStore(pg_pool)
    existing = [new_stream() for _ in range(5)]
    for stream in existing:
        await store.append([make_event(stream, 1)], {stream: 0})
    before = store.combined_statements

    fresh = [make_event(new_stream(), i) for i in range(25)]
    stale = [make_event(stream, 2) for stream in existing[:3]]  # expect a new stream: they exist
    ahead = make_event(existing[3], 2)  # expects version 4 of a stream at 1: no gap may appear
    right = make_event(existing[4], 2)
    calls = [store.append([e], {e.stream: 0}) for e in fresh + stale]
    calls += [store.append([ahead], {ahead.stream: 4}), store.append([right], {right.stream: 1})]
    outcomes = await asyncio.gather(*calls, return_exceptions=True)

    recorded = outcomes[:25] + outcomes[-1:]
    refused = outcomes[25:28] + outcomes[-2:-1]
    assert all(isinstance(o, ConcurrencyError) for o in refused), refused
    assert not any(isinstance(o, BaseException) for o in recorded), recorded
    assert [o.events[0].stream_version for o in recorded] == [1] * 25 + [2]
    positions = [o.events[0].position for o in recorded]
    assert len(set(positions)) == 26
    assert store.combined_statements - before < len(calls)  # some appends shared a statement
    assert set(positions) <= await outbox_positions(pg_pool)
    for stream, version in zip(existing, [1, 1, 1, 1, 2], strict=True):
        assert await store.stream_version(stream) == version
    assert [e.stream_version for e in await store.read_stream(existing[3])] == [1]


async def test_a_duplicate_event_in_a_batch_fails_alone(pg_pool):
    store = PostgresEventStore(pg_pool)
    twin = make_event(new_stream())
    other = twin.model_copy(update={"stream": new_stream()})  # the same event id on another stream
    bystanders = [make_event(new_stream(), i) for i in range(10)]
    calls = [store.append([e], {e.stream: 0}) for e in [twin, *bystanders, other]]
    outcomes = await asyncio.gather(*calls, return_exceptions=True)

    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], asyncpg.UniqueViolationError), outcomes
    assert sum(1 for o in outcomes if not isinstance(o, BaseException)) == 11
    assert len(await store.read_stream(twin.stream)) + len(await store.read_stream(other.stream)) == 1


async def test_a_multi_event_append_that_loses_a_race_writes_nothing(pg_pool):
    store = PostgresEventStore(pg_pool)
    stream = new_stream()
    await store.append([make_event(stream, 1)], {stream: 0})
    async with pg_pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await store.append([make_event(stream, 2)], {stream: 1}, connection=conn)  # not committed yet
        # This append reads version 1 too, then waits on the uncommitted version 2.
        loser = asyncio.create_task(
            store.append([make_event(stream, 20), make_event(stream, 30)], {stream: 1})
        )
        await asyncio.sleep(0.3)
        assert not loser.done()
        await tx.commit()
    with pytest.raises(ConcurrencyError):
        await loser
    assert [e.data["n"] for e in await store.read_stream(stream)] == [1, 2]


async def test_a_lost_race_leaves_the_callers_transaction_usable(pg_pool):
    store = PostgresEventStore(pg_pool)
    stream = new_stream()
    await store.append([make_event(stream, 1)], {stream: 0})
    async with pg_pool.acquire() as conn, conn.transaction():
        with pytest.raises(ConcurrencyError):
            await store.append([make_event(stream, 2)], {stream: 0}, connection=conn)
        result = await store.append([make_event(stream, 2)], {stream: 1}, connection=conn)
        assert result.versions == {stream: 2}
    assert [e.stream_version for e in await store.read_stream(stream)] == [1, 2]


async def test_writers_in_turn_keep_one_connection_and_a_killed_one_loses_no_append(pg_pool, database_url):
    """Eight writers, each appending its next event once the previous one is recorded (as the
    bench's): the statements follow one another on one connection. When that connection dies, the
    appends of the statement on it go again each on a connection of its own, and the next
    statements on a new one: every writer goes on, no append lost or doubled."""
    store = PostgresEventStore(pg_pool)
    streams = [new_stream() for _ in range(8)]
    versions = dict.fromkeys(streams, 0)
    backends: list[int] = []
    kill_at: list[int | None] = [None]  # the statement before which the connection is terminated
    killer = await asyncpg.connect(database_url)
    real_statement, real_flush = store._statement, store._flush
    flushes = [0]

    async def flush():
        flushes[0] += 1
        await real_flush()

    async def statement(batch, conn=None):
        if conn is not None:
            if conn.get_server_pid() not in backends:
                backends.append(conn.get_server_pid())
            if store.combined_statements == kill_at[0]:
                assert await killer.fetchval("SELECT pg_terminate_backend($1)", conn.get_server_pid())
        return await real_statement(batch, conn)

    store._statement, store._flush = statement, flush  # type: ignore[method-assign]

    async def writer(stream: str, appends: int) -> None:
        for i in range(appends):
            result = await store.append([make_event(stream, i)], {stream: versions[stream]})
            versions[stream] = result.versions[stream]

    try:
        await asyncio.wait_for(asyncio.gather(*(writer(s, 20) for s in streams)), 30)
        assert len(backends) == 1, backends  # 160 appends, one connection
        assert store.combined_statements < 60
        assert flushes[0] <= 2, flushes  # one task took the statements in turn
        kill_at[0] = store.combined_statements + 5
        await asyncio.wait_for(asyncio.gather(*(writer(s, 40) for s in streams)), 30)
    finally:
        await killer.close()
    assert len(backends) == 2, backends  # the statements after it on a new connection
    for stream in streams:  # 60 appends each, every one recorded once, in order
        assert [e.data["n"] for e in await store.read_stream(stream)] == [*range(20), *range(40)]


async def test_an_append_is_not_refused_for_a_cancelled_callers_error(pg_pool):
    """A combined statement fails for one append (a duplicate event id) whose caller went away
    meanwhile: the other append goes again on its own and is recorded, not handed that error."""
    store = PostgresEventStore(pg_pool)
    first = make_event(new_stream())
    await store.append([first], {first.stream: 0})
    twin = make_event(new_stream()).model_copy(update={"id": first.id})
    good = make_event(new_stream())
    real_statement, callers = store._statement, {}

    async def statement(batch, conn=None):
        if conn is not None and len(batch) == 2:
            callers["twin"].cancel()  # its client is gone while the statement runs
            await asyncio.sleep(0)
        return await real_statement(batch, conn)

    store._statement = statement  # type: ignore[method-assign]
    callers["twin"] = asyncio.create_task(store.append([twin], {twin.stream: 0}))
    callers["good"] = asyncio.create_task(store.append([good], {good.stream: 0}))
    twin_outcome, good_outcome = await asyncio.gather(*callers.values(), return_exceptions=True)
    assert isinstance(twin_outcome, asyncio.CancelledError)
    assert not isinstance(good_outcome, BaseException), good_outcome
    assert await store.stream_version(good.stream) == 1
    assert await store.stream_version(twin.stream) == 0


async def test_the_recorded_instant_and_data_are_the_cloudevents(pg_pool):
    """An instant whose zone offset has seconds (Paris in 1900: +00:09:21) is recorded as the
    CloudEvent says it, and a NaN or an infinity in data is null in the events table as in JSON."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    store = PostgresEventStore(pg_pool)
    at = datetime(1900, 1, 1, 1, 37, 54, 123456, tzinfo=ZoneInfo("Europe/Paris"))
    events = [
        make_event(new_stream(), 1, ratio=float("nan"), top=float("inf")).model_copy(
            update={"occurred_at": at}
        ),
        make_event(new_stream(), 2, ratio=float("-inf")).model_copy(update={"occurred_at": at}),
    ]
    await store.append(events[:1], {events[0].stream: 0})  # the combined statement
    await store.append(events[1:], {events[1].stream: 0}, idempotency_key="k-nan")  # the other one
    for event in events:
        (row,) = await pg_pool.fetch(
            "SELECT e.occurred_at, e.data, o.payload FROM events e JOIN outbox o USING (position)"
            " WHERE e.event_id = $1",
            event.id,
        )
        assert row["occurred_at"] == at
        assert row["occurred_at"].isoformat().replace("+00:00", "Z") == json.loads(row["payload"])["time"]
        assert row["data"] == {**event.data, **{k: None for k in ("ratio", "top") if k in event.data}}

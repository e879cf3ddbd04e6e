"""Stopping tasks that swallow or ignore their cancellation; telling a stalled fetch from an empty one."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from nats.errors import TimeoutError as NatsTimeoutError

from campus_events.aio import stop_tasks, within
from campus_events.consumer import Projection, ProjectionConsumer, StalledFetchError


async def swallows_first_cancel(stopped: list[str]) -> None:
    with contextlib.suppress(asyncio.CancelledError):  # as wait_for may, when the inner future completes
        await asyncio.sleep(3600)
    try:
        await asyncio.sleep(3600)
    finally:
        stopped.append("second cancel")


async def ignores_cancels(released: asyncio.Event) -> None:
    """Deaf to cancellation (like nats-py's fetch on its queue) until the test releases it."""
    while not released.is_set():
        try:
            await released.wait()
        except asyncio.CancelledError:
            continue


async def test_a_swallowed_cancellation_is_repeated():
    stopped: list[str] = []
    task = asyncio.create_task(swallows_first_cancel(stopped))
    await asyncio.sleep(0)
    assert await stop_tasks([task], grace=5) == []
    assert task.cancelled() and stopped == ["second cancel"]


async def test_a_task_that_never_stops_is_abandoned_after_the_grace():
    released = asyncio.Event()
    stuck = asyncio.create_task(ignores_cancels(released), name="stuck")
    fine = asyncio.create_task(asyncio.sleep(3600), name="fine")
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await stop_tasks([stuck, fine], grace=0.3) == [stuck]
    assert loop.time() - started < 2 and fine.cancelled() and not stuck.done()
    released.set()
    await stuck


async def test_within_does_not_wait_on_a_stuck_awaitable():
    released = asyncio.Event()
    with pytest.raises(TimeoutError):
        await within(ignores_cancels(released), 0.1)
    released.set()
    assert await within(asyncio.sleep(0, result="done"), 1) == "done"


async def test_within_propagates_the_callers_cancellation():
    released = asyncio.Event()
    outer = asyncio.create_task(within(ignores_cancels(released), 3600))
    await asyncio.sleep(0.05)
    outer.cancel()
    done, _ = await asyncio.wait({outer}, timeout=1)
    released.set()
    assert outer in done and outer.cancelled()


class FakeSubscription:
    """What ``ProjectionConsumer._fetch`` calls: ``fetch`` ends the way it is told to."""

    def __init__(self, ends) -> None:
        self.ends = ends

    async def fetch(self, batch: int, timeout: float):
        return await self.ends()


class FakeNats:
    def jetstream(self):
        return None


def consumer(stall_timeout: float) -> ProjectionConsumer:
    projection = Projection("fake", "CAMPUS_CATALOG", ("campus.catalog.>",), lambda conn, env: None)
    return ProjectionConsumer("postgresql://unused", FakeNats(), projection, fetch_timeout=0.05,
                              stall_timeout=stall_timeout)  # fmt: skip


async def test_a_fetch_that_ends_with_a_bare_timeout_is_an_empty_fetch_not_a_stall():
    async def bare_timeout():  # nats-py, when the server's 408 comes just before its deadline
        raise TimeoutError

    with pytest.raises(NatsTimeoutError) as raised:
        await consumer(stall_timeout=5)._fetch(FakeSubscription(bare_timeout))
    assert not isinstance(raised.value, StalledFetchError)


async def test_a_fetch_that_outlives_its_timeout_is_a_stall():
    async def hangs():
        await asyncio.sleep(3600)

    with pytest.raises(StalledFetchError):
        await consumer(stall_timeout=0.1)._fetch(FakeSubscription(hangs))

"""Stopping tasks that swallow or ignore their cancellation."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from campus_events.aio import stop_tasks, within


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

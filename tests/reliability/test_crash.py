"""Crash: a mixed command load on the five services while each service in turn is SIGKILLed and
restarted. Every accepted command has its events in the store and in JetStream exactly once, and
every projection converges to its rebuild from scratch within 10 seconds after the last restart.

Short form: ~1 kill per service during a few seconds of load each; soak: the issue's durations."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from .harness import (
    CONTEXTS,
    RESTART_READY_SECONDS,
    Load,
    Tokens,
    check_everything,
    report,
    running_stack,
    short_or_soak,
    unexpected,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("crash")) as running:
        yield running


async def crash_under_load(stack, *, rounds: int, load_seconds_per_kill: float) -> dict:
    load = Load(stack, Tokens(stack))
    async with httpx.AsyncClient(timeout=15) as http:
        await load.setup(http)
    kills = [name for _ in range(rounds) for name in CONTEXTS]
    running = asyncio.create_task(load.run(3600))  # until stopped, after the last restart
    last_restart = time.monotonic()
    for name in kills:
        await asyncio.sleep(load_seconds_per_kill)
        await asyncio.to_thread(stack.restart_service, name, kill=True)
        await asyncio.to_thread(stack.wait_ready, RESTART_READY_SECONDS, [name])
        last_restart = time.monotonic()
    await asyncio.sleep(load_seconds_per_kill)  # load on the restarted services too
    load.stop()
    await running
    figures = await check_everything(stack, load, converge_within=short_or_soak(30, 10), since=last_restart)
    figures["kills"] = len(kills)
    assert not unexpected(load), unexpected(load)
    return figures


async def test_kill_each_service_under_load(stack):
    figures = await crash_under_load(stack, rounds=1, load_seconds_per_kill=2)
    report("crash (short)", figures)
    assert figures["accepted"] > 50


@pytest.mark.soak
@pytest.mark.timeout(1200)  # the full forms last minutes: not the suite's 300 s per test
async def test_kill_each_service_under_load_soak(stack):
    figures = await crash_under_load(stack, rounds=4, load_seconds_per_kill=10)
    report("crash (soak)", figures)

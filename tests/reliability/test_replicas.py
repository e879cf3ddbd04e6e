"""Replicas: two processes of each service on the same database and NATS, as Kubernetes runs them.
The outbox relay and each projection consumer are active on one instance only; SIGKILL the active
one under load and the other takes over within 10 seconds; nothing is lost or doubled.

Short form: one takeover per service during a few seconds of load; soak: four per service."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pytest

from campus_service.testing import eventually

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
LAST_SEEN: dict[str, dict] = {}  # what the instances reported last: in the failure message
ACTIVE = re.compile(r'^campus_(relay|consumer)_active(?:\{consumer="([^"]+)"\})? ([0-9.]+)$', re.M)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("replicas")) as running:
        for name in CONTEXTS:
            running.start_replica(name)
        yield running


def instances(stack, name):
    return [
        s
        for s in [stack.services[name], *stack.replicas.get(name, [])]
        if s.process is not None and s.process.poll() is None
    ]


async def roles(http: httpx.AsyncClient, url: str) -> set[str] | None:
    """What this instance runs: ``relay`` and the consumers it is active for (None: no answer)."""
    try:
        text = (await http.get(f"{url}/metrics", timeout=5)).text
    except httpx.TransportError:
        return None
    return {consumer or "relay" for kind, consumer, value in ACTIVE.findall(text) if float(value) == 1}


async def owners(http: httpx.AsyncClient, stack, name: str, expected: set[str]) -> dict[str, str] | None:
    """Each role (the relay, each consumer) and the one instance running it; None unless every role
    has exactly one instance running it."""
    held = {s.url: await roles(http, s.url) for s in instances(stack, name)}
    LAST_SEEN[name] = held
    if any(r is None for r in held.values()):
        return None
    out = {}
    for role in expected:
        holders = [url for url, r in held.items() if role in r]
        if len(holders) != 1:
            return None
        out[role] = holders[0]
    return out


async def held_once(http: httpx.AsyncClient, stack, name: str, expected: set[str], within: float):
    try:
        return await eventually(lambda: owners(http, stack, name, expected), within=within, interval=0.1)
    except AssertionError as exc:
        raise AssertionError(f"{name}: not each role on exactly one instance: {LAST_SEEN.get(name)}") from exc


async def expected_roles(http: httpx.AsyncClient, stack, name: str) -> set[str]:
    """The relay and every consumer of the service: the union of what its instances report."""
    text = (await http.get(f"{stack.services[name].url}/metrics", timeout=5)).text
    return {consumer or "relay" for kind, consumer, _ in ACTIVE.findall(text)}


async def takeovers_under_load(stack, rounds: int, load_seconds: float) -> dict:
    async with httpx.AsyncClient(timeout=15) as http:
        await asyncio.to_thread(stack.wait_ready, RESTART_READY_SECONDS)
        for name in CONTEXTS:
            for replica in stack.replicas[name]:
                await eventually(lambda r=replica: ready(http, r.url), within=120)
        expected = {name: await expected_roles(http, stack, name) for name in CONTEXTS}
        for name in CONTEXTS:
            await held_once(http, stack, name, expected[name], 30)
        LAST_SEEN.clear()
        load = Load(stack, Tokens(stack))
        await load.setup(http)
        running = asyncio.create_task(load.run(3600))  # until stopped, after the last takeover
        takeover: dict[str, float] = {}
        last_kill = time.monotonic()
        for _ in range(rounds):
            for name in CONTEXTS:
                await asyncio.sleep(load_seconds)
                held = await held_once(http, stack, name, expected[name], 30)
                active = next(s for s in instances(stack, name) if s.url == held["relay"])
                active.process.kill()
                active.process.wait(10)
                last_kill = killed = time.monotonic()
                held = await held_once(http, stack, name, expected[name], 30)
                takeover[name] = max(takeover.get(name, 0.0), time.monotonic() - killed)
                assert active.url not in held.values(), held
                if rounds > 1:  # the next round needs a standby again
                    replica = stack.start_replica(name)
                    await eventually(lambda r=replica: ready(http, r.url), within=120)
        await asyncio.sleep(load_seconds)  # load on the successors too
        load.stop()
        await running
    limit = short_or_soak(20, 10)
    assert max(takeover.values()) <= limit, takeover
    figures = await check_everything(stack, load, converge_within=short_or_soak(30, 10), since=last_kill)
    figures["takeover_max_s"] = round(max(takeover.values()), 2)
    figures["takeovers"] = rounds * len(CONTEXTS)
    assert not unexpected(load), unexpected(load)
    return figures


async def ready(http: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await http.get(f"{url}/health/ready", timeout=5)).status_code == 200
    except httpx.TransportError:
        return False


async def test_the_standby_takes_over_when_the_active_instance_is_killed(stack):
    figures = await takeovers_under_load(stack, rounds=1, load_seconds=2)
    report("replicas (short)", figures)
    assert figures["accepted"] > 50


@pytest.mark.soak
@pytest.mark.timeout(1200)  # the full forms last minutes: not the suite's 300 s per test
async def test_takeovers_soak(stack):
    figures = await takeovers_under_load(stack, rounds=4, load_seconds=10)
    report("replicas (soak)", figures)

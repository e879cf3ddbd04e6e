"""Broker outage: NATS stopped under load. Commands keep being accepted (the outboxes hold their
events), the outboxes drain after it returns, the projections converge to their rebuild, nothing
is lost or doubled.

Short form: a 4-second outage; soak: the issue's 30 seconds."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from .harness import Load, Tokens, check_everything, report, running_stack, short_or_soak, unexpected

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("broker")) as running:
        yield running


async def outage_under_load(stack, outage: float) -> dict:
    load = Load(stack, Tokens(stack))
    async with httpx.AsyncClient(timeout=15) as http:
        await load.setup(http)
    running = asyncio.create_task(load.run(outage + 6))
    await asyncio.sleep(2)
    stopped_at = time.time()
    await asyncio.to_thread(stack.nats.stop)
    await asyncio.sleep(outage)
    await asyncio.to_thread(stack.nats.start)
    back_at, back = time.time(), time.monotonic()
    await running
    during = [a for a in load.accepted if stopped_at < a.at - a.seconds and a.at < back_at]
    by_service = {s: sum(1 for a in during if a.service == s) for s in ("catalog", "enrollment")}
    assert all(by_service.values()), f"commands accepted while NATS was away: {by_service}"
    figures = await check_everything(stack, load, converge_within=short_or_soak(30, 10), since=back)
    figures["outage_s"] = outage
    figures["accepted_during_outage"] = len(during)
    assert not unexpected(load), unexpected(load)
    return figures


async def test_commands_are_accepted_while_nats_is_away_and_nothing_is_lost(stack):
    figures = await outage_under_load(stack, outage=4)
    report("broker outage (short)", figures)


@pytest.mark.soak
@pytest.mark.timeout(1200)  # the full forms last minutes: not the suite's 300 s per test
async def test_broker_outage_soak(stack):
    figures = await outage_under_load(stack, outage=30)
    report("broker outage (soak)", figures)

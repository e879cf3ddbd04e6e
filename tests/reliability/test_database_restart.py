"""Database restart: the enrollment service's PostgreSQL (a server of its own here) restarted under
load. The service reports not-ready while it is away, recovers by itself, and loses no accepted
command; nothing is doubled, the projections converge to their rebuild.

Short form: 3 seconds down; soak: 15 seconds, three times."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from campus_devstack.servers import EmbeddedPostgres, free_port
from campus_devstack.stack import create_databases
from campus_service.testing import eventually

from .harness import Load, Tokens, check_everything, report, running_stack, short_or_soak, unexpected

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def own_postgres(tmp_path_factory):
    server = EmbeddedPostgres(tmp_path_factory.mktemp("enrollment-pg") / "data", free_port(), durable=False)
    server.start()
    create_databases(server, ["campus_enrollment"])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, own_postgres):
    env = {"CAMPUS_ENROLLMENT_DATABASE_URL": own_postgres.url("campus_enrollment")}
    with running_stack(tmp_path_factory.mktemp("dbrestart"), extra_env=env) as running:
        yield running


async def ready_status(http: httpx.AsyncClient, url: str) -> int:
    try:
        return (await http.get(f"{url}/health/ready", timeout=5)).status_code
    except httpx.TransportError:
        return 0


async def restarts_under_load(stack, postgres, *, down: float, restarts: int) -> dict:
    load = Load(stack, Tokens(stack))
    enrollment = stack.services["enrollment"].url
    recovered = []
    async with httpx.AsyncClient(timeout=15) as http:
        await load.setup(http)
        running = asyncio.create_task(load.run((down + 5) * restarts + 2))
        for _ in range(restarts):
            await asyncio.sleep(2)
            await asyncio.to_thread(postgres.stop)
            # Not ready while its database is away (the process stays up and says why).
            assert await eventually(lambda: _is(ready_status(http, enrollment), 503), within=15)
            await asyncio.sleep(down)
            await asyncio.to_thread(postgres.start)
            back = time.monotonic()
            await eventually(lambda: _is(ready_status(http, enrollment), 200), within=60)
            recovered.append(time.monotonic() - back)
        await running
    assert stack.services["enrollment"].process.poll() is None, "the service died instead of recovering"
    figures = await check_everything(stack, load, converge_within=short_or_soak(30, 15), since=back)
    figures["down_s"] = down
    figures["ready_again_max_s"] = round(max(recovered), 2)
    enrolments = [a for a in load.answers if a.service == "enrollment"]
    figures["enrollment_retried"] = sum(1 for a in enrolments if a.attempts > 1)
    assert figures["enrollment_retried"], "no command met the outage: the scenario injected nothing"
    assert not unexpected(load), unexpected(load)
    return figures


async def _is(status, expected: int) -> bool:
    return await status == expected


async def test_the_service_recovers_from_a_database_restart_without_losing_commands(stack, own_postgres):
    figures = await restarts_under_load(stack, own_postgres, down=3, restarts=1)
    report("database restart (short)", figures)


@pytest.mark.soak
@pytest.mark.timeout(1200)  # the full forms last minutes: not the suite's 300 s per test
async def test_database_restart_soak(stack, own_postgres):
    figures = await restarts_under_load(stack, own_postgres, down=15, restarts=3)
    report("database restart (soak)", figures)

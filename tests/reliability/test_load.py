"""Load: 200 concurrent clients on the enrollment and catalog routes (catalogue search, course and
seat reads, enrolments). No answer other than 2xx and the documented 409/422; p50/p99 reported;
every accepted enrolment is stored once and no session is over capacity.

Short form: 10 seconds; soak: the issue's 60 seconds."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from collections import Counter, defaultdict

import httpx
import pytest

from .harness import (
    CONTEXTS,
    Answer,
    Load,
    Tokens,
    check_accepted_commands_stored_once,
    check_invariants,
    report,
    running_stack,
    store_events,
    wait_converged,
)

pytestmark = pytest.mark.e2e
CLIENTS = 200
DOCUMENTED = {200, 201, 409, 422}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("load")) as running:
        yield running


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def clients_for(stack, seconds: float) -> dict:
    tokens = Tokens(stack)
    load = Load(stack, tokens)
    async with httpx.AsyncClient(timeout=30) as http:
        await load.setup(http, sessions=10, capacity=25)
    catalog, enrollment = stack.services["catalog"].url, stack.services["enrollment"].url
    agents = [(uuid.uuid4(),) for _ in range(400)]  # reused: some enrol twice (409)
    headers = {a: tokens.auth("agent", sub=a[0]) for a in agents}
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: Counter[tuple[str, int]] = Counter()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)

    async def client(http: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            course_id, session_id, _ = random.choice(load.sessions)
            pick = random.random()
            started = time.monotonic()
            if pick < 0.4:
                route, call = (
                    "GET /v1/courses?q",
                    http.get(f"{catalog}/v1/courses", params={"q": "fiabilite"}),
                )
            elif pick < 0.6:
                route, call = "GET /v1/courses/{id}", http.get(f"{catalog}/v1/courses/{course_id}")
            elif pick < 0.7:
                route, call = (
                    "GET /v1/sessions/{id}/seats",
                    http.get(f"{enrollment}/v1/sessions/{session_id}/seats"),
                )
            else:
                agent = random.choice(agents)
                correlation = str(uuid.uuid4())
                route = "POST /v1/enrollments"
                call = http.post(
                    f"{enrollment}/v1/enrollments",
                    json={"course_id": course_id, "session_id": session_id},
                    headers={**headers[agent], "X-Correlation-Id": correlation},
                )
            try:
                response = await call
                status = response.status_code
            except httpx.TransportError:
                status = 0
            seconds_taken = time.monotonic() - started
            latencies[route].append(seconds_taken)
            statuses[(route, status)] += 1
            if route.startswith("POST"):
                body = response.json() if status == 201 else None
                load.answers.append(
                    Answer(
                        "enrollment",
                        "enrol",
                        "/v1/enrollments",
                        status,
                        correlation,
                        body,
                        time.time(),
                        seconds_taken,
                        1,
                    )
                )

    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        await asyncio.gather(*(client(http) for _ in range(CLIENTS)))
    undocumented = {k: n for k, n in statuses.items() if k[1] not in DOCUMENTED}
    assert not undocumented, f"answers other than 2xx/409/422: {undocumented}"

    await wait_converged(stack, within=60)
    events = {s: await store_events(stack, s) for s in CONTEXTS}
    check_accepted_commands_stored_once(load, events)
    await check_invariants(stack)
    every = [x for values in latencies.values() for x in values]
    figures = {
        "clients": CLIENTS,
        "seconds": seconds,
        "requests": len(every),
        "rps": round(len(every) / seconds),
        "p50_ms": round(statistics.median(every) * 1000),
        "p99_ms": round(percentile(every, 0.99) * 1000),
        "statuses": dict(sum((Counter({s: n}) for (_, s), n in statuses.items()), Counter())),
    }
    for route, values in sorted(latencies.items()):
        figures[route] = (
            f"p50 {percentile(values, 0.5) * 1000:.0f} ms / p99 {percentile(values, 0.99) * 1000:.0f} ms"
        )
    return figures


async def test_200_clients_on_enrollment_and_catalog(stack):
    figures = await clients_for(stack, 10)
    report("load (short)", figures)
    assert figures["requests"] > CLIENTS


@pytest.mark.soak
@pytest.mark.timeout(1200)  # the full forms last minutes: not the suite's 300 s per test
async def test_200_clients_soak(stack):
    figures = await clients_for(stack, 60)
    report("load (soak)", figures)
    assert figures["requests"] > CLIENTS

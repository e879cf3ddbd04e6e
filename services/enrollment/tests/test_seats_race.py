"""A hot session: 500 agents at once on 30 seats. Seats never exceed capacity; the line keeps order."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from campus_service.testing import eventually

AGENTS, SEATS = 500, 30


async def race(app, client, catalog, tokens) -> None:
    course = await catalog.course()
    session = await catalog.session(course, capacity=SEATS)
    body = {"course_id": str(course), "session_id": str(session)}
    people = [
        (sub := uuid.uuid4(), tokens.auth(roles=["agent"], ministry="dinum", sub=sub)) for _ in range(AGENTS)
    ]

    responses = await asyncio.gather(
        *(client.post("/v1/enrollments", json=body, headers=h) for _, h in people)
    )
    assert {r.status_code for r in responses} == {201}
    made = [r.json() for r in responses]
    enrolled = [m for m in made if m["status"] == "enrolled"]
    waiting = sorted((m for m in made if m["status"] == "waitlisted"), key=lambda m: m["waitlist_position"])
    assert len(enrolled) == SEATS and len(waiting) == AGENTS - SEATS
    assert [m["waitlist_position"] for m in waiting] == list(range(1, AGENTS - SEATS + 1))
    assert len({m["agent_id"] for m in made}) == AGENTS

    store = app.state.runtime.store
    events = await store.read_stream(f"session-{session}")
    assert len(events) == AGENTS and len({e.data["agent_id"] for e in events}) == AGENTS

    cancels = await asyncio.gather(
        *(
            client.post(f"/v1/enrollments/{m['id']}/cancel", headers=dict(people)[uuid.UUID(m["agent_id"])])
            for m in enrolled[:5]
        )
    )
    assert {r.status_code for r in cancels} == {200}
    promoted = [
        e.data["enrollment_id"]
        for e in await store.read_stream(f"session-{session}", AGENTS + 1)
        if e.type == "WaitlistPromoted"
    ]
    assert promoted == [m["id"] for m in waiting[:5]]

    async def settled():
        seats = (await client.get(f"/v1/sessions/{session}/seats")).json()
        return seats if seats["enrolled"] == SEATS and seats["waitlisted"] == AGENTS - SEATS - 5 else None

    await eventually(settled, within=20)
    first = waiting[5]
    line = await client.get(
        f"/v1/enrollments/{first['id']}", headers=dict(people)[uuid.UUID(first["agent_id"])]
    )
    assert line.json()["waitlist_position"] == 1


async def test_500_agents_on_30_seats(app, client, catalog, tokens):
    await race(app, client, catalog, tokens)


@pytest.mark.soak
@pytest.mark.skipif(not os.environ.get("CAMPUS_SOAK"), reason="make soak only")
@pytest.mark.parametrize("round_", range(3))
async def test_500_agents_on_30_seats_again(app, client, catalog, tokens, round_):
    await race(app, client, catalog, tokens)

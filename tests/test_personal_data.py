"""Personal data: the names and e-mails that tokens carry never reach an event, and erasure
removes them from every table of every service."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import httpx
import pytest

from campus_devstack.jetstream import stream_messages
from campus_events import bus
from campus_service.devkeys import mint_token

pytestmark = pytest.mark.e2e

GIVEN, USUAL = "Zéphyrine", "Quintavalle"
EMAIL = "zephyrine.quintavalle@exemple.gouv.fr"
STREAMS = ("CAMPUS_CATALOG", "CAMPUS_ENROLLMENT", "CAMPUS_PROJECTS", "CAMPUS_FUNDING", "CAMPUS_TRAINERS")


def headers(stack, sub, roles, ministry="mefsin", **claims) -> dict[str, str]:
    private = (stack.root / "keys" / "private.pem").read_bytes()
    token = mint_token(private, sub=str(sub), roles=roles, ministry=ministry, ttl=600, **claims)
    return {"Authorization": f"Bearer {token}"}


def until(call, ok, within=10.0):
    deadline = time.monotonic() + within
    while True:
        response = call()
        if ok(response) or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def scenario(stack, agent: uuid.UUID) -> None:
    """The agent (with a name and e-mail in the token) uses every service."""
    url = {n: s.url for n, s in stack.services.items()}
    me = headers(stack, agent, ["agent", "manager"], email=EMAIL, given_name=GIVEN, usual_name=USUAL)
    staff = headers(stack, uuid.uuid4(), ["campus_staff"], ministry="dinum")
    with httpx.Client(timeout=10) as c:
        r = c.post(f"{url['trainers']}/v1/trainers", json={"kind": "internal", "expertise": ["data"],
                   "bio": f"{GIVEN} {USUAL}, {EMAIL}"}, headers=me)  # fmt: skip
        assert r.status_code == 201, r.text
        course = {"title": "Données publiques", "kind": "formation", "summary": "Ouvrir et réutiliser les données.",
                  "modality": "online", "themes": ["data"]}  # fmt: skip
        r = until(
            lambda: c.post(f"{url['catalog']}/v1/courses", json=course, headers=me),
            lambda r: r.status_code != 403,
        )
        assert r.status_code == 201, r.text
        course_id = r.json()["id"]
        assert c.post(f"{url['catalog']}/v1/courses/{course_id}/publish", headers=staff).status_code == 200
        r = until(
            lambda: c.post(f"{url['enrollment']}/v1/enrollments", json={"course_id": course_id}, headers=me),
            lambda r: r.status_code not in (404, 409),
        )
        assert r.status_code == 201, r.text
        project = {"title": "IA générative au service", "service": "SGPI", "team_size": 12,
                   "agent_profiles": [], "expectations": "Comprendre et utiliser l'IA générative"}  # fmt: skip
        r = c.post(f"{url['projects']}/v1/projects", json=project, headers=me)
        assert r.status_code == 201, r.text


async def all_payloads(stack) -> list[bytes]:
    nc = await bus.connect(stack.operator_nats_url(), name="test")
    try:
        out = []
        for stream in STREAMS:
            out += [data for _, data in await stream_messages(nc, stream)]
        return out
    finally:
        await nc.close()


async def tables_mentioning(stack, needles: list[str]) -> list[str]:
    """Every (service, table) whose rows contain one of ``needles`` anywhere, as text."""
    found = []
    for name, service in stack.services.items():
        conn = await asyncpg.connect(service.database_url)
        try:
            tables = await conn.fetch(
                "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS t FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
            for row in tables:
                for needle in needles:
                    hit = await conn.fetchval(
                        f"SELECT count(*) FROM {row['t']} x WHERE position(lower($1) in lower(x::text)) > 0",
                        needle,
                    )
                    if hit:
                        found.append(f"{name}:{row['t']}")
        finally:
            await conn.close()
    return found


async def test_no_event_carries_a_name_or_an_email_and_erasure_leaves_none(stack):
    agent = uuid.uuid4()
    await asyncio.to_thread(scenario, stack, agent)
    await asyncio.sleep(1.5)  # let the relays publish and the projections catch up

    payloads = await all_payloads(stack)
    assert payloads, "the scenario published nothing"
    for needle in (EMAIL, GIVEN, USUAL):
        leaking = [p[:200] for p in payloads if needle.encode() in p or needle.encode("unicode_escape") in p]
        assert not leaking, f"{needle!r} found in an event: {leaking[:1]}"
    assert any(str(agent).encode() in p for p in payloads), "the agent's pseudonymous id should be there"

    assert await tables_mentioning(stack, [EMAIL]), (
        "the erasable tables should hold the e-mail before erasure"
    )
    admin = headers(stack, uuid.uuid4(), ["admin"], ministry="dinum")
    async with httpx.AsyncClient(timeout=10) as c:
        for service in ("enrollment", "trainers"):
            r = await c.post(f"{stack.services[service].url}/v1/agents/{agent}/erase", headers=admin)
            assert r.status_code in (200, 204), (service, r.status_code, r.text)
    assert await tables_mentioning(stack, [EMAIL, GIVEN, USUAL]) == []

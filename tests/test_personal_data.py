"""Personal data: the names and e-mails that tokens carry never reach an event, and erasure
removes them from every table of every service."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest

from campus_devstack.jetstream import stream_messages
from campus_events import bus
from campus_service.devkeys import mint_token

pytestmark = pytest.mark.e2e

GIVEN, USUAL = "Zéphyrine", "Quintavalle"
EMAIL = "zephyrine.quintavalle@exemple.gouv.fr"
OTHER = ("Anatole", "Vercingétorix", "anatole.vercingetorix@exemple.gouv.fr")  # given, usual, e-mail
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


def scenario(stack, agent: uuid.UUID, person: tuple[str, str, str] = (GIVEN, USUAL, EMAIL)) -> None:
    """The agent (with a name and e-mail in the token) uses every service."""
    url = {n: s.url for n, s in stack.services.items()}
    given, usual, email = person
    me = headers(stack, agent, ["agent", "manager"], email=email, given_name=given, usual_name=usual)
    again = {**me, "Idempotency-Key": f"register-{agent}"}  # the stored response must be erasable too
    staff = headers(stack, uuid.uuid4(), ["campus_staff"], ministry="dinum")
    with httpx.Client(timeout=10) as c:
        r = c.post(f"{url['trainers']}/v1/trainers", json={"kind": "internal", "expertise": ["data"],
                   "bio": f"{given} {usual}, {email}"}, headers=again)  # fmt: skip
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


TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "ARRAY", "USER-DEFINED")


async def columns_mentioning(stack, needles: list[str]) -> list[str]:
    """Every ``service:schema.table.column`` of a text, JSON or array column that holds one of
    ``needles`` (case-insensitive), in every table of every schema of every service's database."""
    found = []
    for name, service in stack.services.items():
        conn = await asyncpg.connect(service.database_url)
        try:
            columns = await conn.fetch(
                "SELECT quote_ident(c.table_schema) || '.' || quote_ident(c.table_name) AS t,"
                " quote_ident(c.column_name) AS c FROM information_schema.columns c"
                " JOIN information_schema.tables t USING (table_schema, table_name)"
                " WHERE t.table_type = 'BASE TABLE' AND c.data_type = ANY($1::text[])"
                " AND c.table_schema NOT IN ('pg_catalog', 'information_schema')",
                list(TEXT_TYPES),
            )
            assert columns, f"{name}: no text column found: the scan would prove nothing"
            for row in columns:
                hit = await conn.fetchval(
                    f"SELECT count(*) FROM {row['t']} WHERE"
                    f" EXISTS (SELECT 1 FROM unnest($1::text[]) n WHERE position(lower(n) in lower({row['c']}::text)) > 0)",
                    needles,
                )
                if hit:
                    found.append(f"{name}:{row['t']}.{row['c']}")
        finally:
            await conn.close()
    return found


def erase_with_the_cli(stack, agent: uuid.UUID, **env_extra: str) -> subprocess.CompletedProcess[str]:
    campus = Path(sys.executable).parent / "campus"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPUS_")} | {
        "CAMPUS_HOME": str(stack.root),
        **env_extra,
    }
    return subprocess.run([str(campus), "erase-agent", str(agent)], env=env, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip


async def test_no_event_carries_a_name_or_an_email_and_erasure_leaves_none(stack):
    by_api, by_cli = uuid.uuid4(), uuid.uuid4()
    await asyncio.to_thread(scenario, stack, by_api)
    await asyncio.to_thread(scenario, stack, by_cli, OTHER)
    await asyncio.sleep(1.5)  # let the relays publish and the projections catch up

    payloads = await all_payloads(stack)
    assert payloads, "the scenario published nothing"
    for needle in (EMAIL, GIVEN, USUAL, *OTHER):
        leaking = [p[:200] for p in payloads if needle.encode() in p or needle.encode("unicode_escape") in p]
        assert not leaking, f"{needle!r} found in an event: {leaking[:1]}"
    assert any(str(by_api).encode() in p for p in payloads), "the agent's pseudonymous id should be there"

    before = await columns_mentioning(stack, [EMAIL, OTHER[2]])
    assert any(c.startswith("enrollment:") for c in before) and any(
        c.startswith("trainers:") for c in before
    ), f"the erasable tables should hold the e-mails before erasure: {before}"
    admin = headers(stack, uuid.uuid4(), ["admin"], ministry="dinum")
    async with httpx.AsyncClient(timeout=10) as c:
        for service in ("enrollment", "trainers"):
            r = await c.post(f"{stack.services[service].url}/v1/agents/{by_api}/erase", headers=admin)
            assert r.status_code in (200, 204), (service, r.status_code, r.text)
    assert await columns_mentioning(stack, [EMAIL, GIVEN, USUAL]) == []
    assert await columns_mentioning(stack, list(OTHER)), "the other agent is not erased yet"

    # One service out of reach: the other is erased, the command says which is not, and fails.
    partial = await asyncio.to_thread(
        erase_with_the_cli, stack, by_cli, CAMPUS_TRAINERS_URL="http://127.0.0.1:9"
    )
    assert partial.returncode == 1, partial.stdout + partial.stderr
    assert "enrollment: 200, personal details erased" in partial.stdout, partial.stdout
    assert "trainers: NOT ERASED, unreachable" in partial.stdout, partial.stdout
    done = await asyncio.to_thread(erase_with_the_cli, stack, by_cli)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "enrollment: 200, nothing held" in done.stdout, done.stdout  # erased by the first run
    assert "trainers: 200, personal details erased" in done.stdout, done.stdout
    assert await columns_mentioning(stack, [EMAIL, GIVEN, USUAL, *OTHER]) == []
    bad = await asyncio.to_thread(erase_with_the_cli, stack, "not-an-id")  # type: ignore[arg-type]
    assert bad.returncode == 2 and "not an agent id" in bad.stdout + bad.stderr
    assert "Traceback" not in bad.stdout + bad.stderr

    await asyncio.to_thread(still_answers_with_the_id, stack, by_api)


def still_answers_with_the_id(stack, agent: uuid.UUID) -> None:
    """After erasure the projections and the audit trail work on with the pseudonymous id."""
    url = {n: s.url for n, s in stack.services.items()}
    me = headers(stack, agent, ["agent", "manager"])
    staff = headers(stack, uuid.uuid4(), ["campus_staff"], ministry="dinum")
    with httpx.Client(timeout=10) as c:
        r = c.get(f"{url['trainers']}/v1/trainers/{agent}", headers=staff)
        assert r.status_code == 200 and r.json()["id"] == str(agent), r.text
        r = c.get(f"{url['enrollment']}/v1/me/enrollments", headers=me)
        assert r.status_code == 200 and [e["agent_id"] for e in r.json()["items"]] == [str(agent)], r.text
        r = c.get(f"{url['projects']}/v1/projects?limit=500", headers=me)
        assert r.status_code == 200 and len(r.json()["items"]) >= 1, r.text
        for service in ("trainers", "catalog", "enrollment", "projects"):
            r = c.get(f"{url[service]}/v1/audit", params={"actor": str(agent)}, headers=staff)
            assert r.status_code == 200 and r.json()["items"], (service, r.text)
            assert {i["actor_id"] for i in r.json()["items"]} == {str(agent)}

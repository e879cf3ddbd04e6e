"""The projects API on real PostgreSQL and NATS: stages, guards, projections and the pipeline."""

from __future__ import annotations

import copy
import uuid

from campus_events.contracts.catalog import CourseProposed, CoursePublished
from campus_events.contracts.funding import (
    FundingApproved,
    FundingDisbursed,
    FundingRequested,
    FundingReviewStarted,
)
from campus_events.contracts.trainers import TrainerRegistered, TrainerWithdrawn
from campus_service.testing import eventually

PROJECT = {
    "title": "IA générative au quotidien",
    "service": "Service des études",
    "team_size": 12,
    "agent_profiles": [{"profile": "chargé d'études", "count": 12}],
    "expectations": "Utiliser une IA générative sur nos processus",
}
NEEDS = {"findings": "Niveaux inégaux", "expectations": "Pratique", "team_culture": "Curieuse"}


def ministry() -> str:
    return f"m{uuid.uuid4().hex[:8]}"


def design(course_id=None, trainer_ids=()) -> dict:
    return {
        "modules": [
            {
                "title": "Atelier IA",
                "course_id": course_id and str(course_id),
                "trainer_ids": [str(t) for t in trainer_ids],
                "modality": "in_person",
                "duration_minutes": 240,
            }
        ],
        "content_production": "Cas d'usage sur les processus du service",
        "estimated_cost_cents": 3_000_000,
        "funding_intent": "ftap",
    }


async def open_project(client, tokens, own: str, sub=None):
    headers = tokens.auth(roles=["manager"], ministry=own, sub=sub or uuid.uuid4())
    response = await client.post("/v1/projects", json=PROJECT, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_project_goes_through_every_stage_and_the_pipeline_follows(client, tokens, publish):
    own, staff = ministry(), tokens.auth(roles=["campus_staff"], ministry="dinum")
    course, trainer = uuid.uuid4(), uuid.uuid4()
    await publish(
        CourseProposed(
            course_id=course,
            title="IA",
            kind="formation",
            summary="s",
            modality="online",
            themes=["data"],
            proposed_by=trainer,
        ),
        course,
    )
    await publish(CoursePublished(course_id=course), course)
    await publish(TrainerRegistered(trainer_id=trainer, ministry="dinum", kind="internal"), trainer)

    owner = uuid.uuid4()
    opened = await open_project(client, tokens, own, owner)
    pid = opened["id"]
    assert (
        opened["stage"] == "needs_analysis"
        and opened["ministry"] == own
        and opened["opened_by"] == str(owner)
    )
    owner_headers = tokens.auth(roles=["manager"], ministry=own, sub=owner)
    r = await client.post(f"/v1/projects/{pid}/needs-analysis", json=NEEDS, headers=owner_headers)
    assert r.status_code == 200 and r.json()["needs_analysis"]["team_culture"] == "Curieuse"
    assert (
        await client.post(f"/v1/projects/{pid}/advance", json={"to_stage": "design"}, headers=staff)
    ).json()["stage"] == "design"

    async def references_known():
        r = await client.post(f"/v1/projects/{pid}/design", json=design(course, [trainer]), headers=staff)
        return r if r.status_code == 200 else None

    designed = (await eventually(references_known)).json()
    assert designed["design"]["estimated_cost_cents"] == 3_000_000
    steps = [
        ("advance", {"to_stage": "implementation"}),
        ("implementation", {"sessions_delivered": 1, "participants": 11, "modality": "in_person"}),
        ("advance", {"to_stage": "evaluation"}),
        (
            "evaluation",
            {
                "indicators": [{"profile": "chargé d'études", "agents_targeted": 12, "agents_reached": 11}],
                "satisfaction_rate": 0.92,
                "savings_cents": 150_000,
            },
        ),
        ("advance", {"to_stage": "closed"}),
    ]
    for step, body in steps:
        r = await client.post(f"/v1/projects/{pid}/{step}", json=body, headers=staff)
        assert r.status_code == 200, (step, r.text)
    assert r.json()["stage"] == "closed" and r.json()["version"] == 9

    request_id, envelope_id = uuid.uuid4(), uuid.uuid4()
    ids = {"request_id": request_id, "project_id": uuid.UUID(pid), "envelope_id": envelope_id}
    await publish(
        FundingRequested(
            **ids,
            ministry=own,
            project_cost_cents=3_000_000,
            requested_cents=1_500_000,
            expected_satisfaction_rate=0.8,
            expected_savings_cents=0,
            summary="s",
            requested_by=owner,
        ),
        request_id,
        own,
    )
    await publish(FundingReviewStarted(**ids), request_id, own)
    await publish(FundingApproved(**ids, granted_cents=1_200_000), request_id, own)
    await publish(FundingDisbursed(**ids, amount_cents=1_200_000, tranche=1), request_id, own)

    async def pipeline_closed_and_funded():
        body = (await client.get("/v1/pipeline", params={"ministry": own}, headers=staff)).json()
        item = body["items"][0] if body["items"] else None
        return (
            body
            if item
            and item["stage"] == "closed"
            and item["funding"]
            and item["funding"]["status"] == "closed"
            else None
        )

    body = await eventually(pipeline_closed_and_funded)
    assert body["stages"] == [{"stage": "closed", "ministry": own, "count": 1}]
    funding = body["items"][0]["funding"]
    assert (funding["requested_cents"], funding["granted_cents"], funding["disbursed_cents"]) == (
        1_500_000,
        1_200_000,
        1_200_000,
    )
    assert body["items"][0]["seconds_in_stage"] >= 0
    got = await client.get(f"/v1/projects/{pid}", headers=owner_headers)
    assert got.status_code == 200 and got.json() == r.json()  # the projection shows what the write answered


async def test_designs_refuse_unknown_or_withdrawn_references(client, tokens, publish):
    own, staff = ministry(), tokens.auth(roles=["campus_staff"])
    trainer = uuid.uuid4()
    pid = (await open_project(client, tokens, own))["id"]
    await client.post(f"/v1/projects/{pid}/needs-analysis", json=NEEDS, headers=staff)
    await client.post(f"/v1/projects/{pid}/advance", json={"to_stage": "design"}, headers=staff)
    r = await client.post(f"/v1/projects/{pid}/design", json=design(uuid.uuid4()), headers=staff)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "modules.0.course_id"
    await publish(TrainerRegistered(trainer_id=trainer, ministry="dinum", kind="internal"), trainer)
    await publish(TrainerWithdrawn(trainer_id=trainer), trainer)

    async def withdrawn_is_refused():
        async with client._transport.app.state.runtime.pool.acquire() as conn:  # type: ignore[attr-defined]
            return await conn.fetchval("SELECT NOT active FROM known_trainers WHERE trainer_id = $1", trainer)

    await eventually(withdrawn_is_refused)
    r = await client.post(f"/v1/projects/{pid}/design", json=design(None, [trainer]), headers=staff)
    assert r.status_code == 422 and "registered trainer" in r.json()["detail"]


async def test_another_ministrys_manager_gets_403_before_any_validation(client, tokens):
    pid = (await open_project(client, tokens, ministry()))["id"]
    stranger = tokens.auth(roles=["manager"], ministry=ministry())
    assert (await client.get(f"/v1/projects/{pid}", headers=stranger)).status_code in (403, 404)

    async def projected():
        return (await client.get(f"/v1/projects/{pid}", headers=stranger)).status_code == 403

    await eventually(projected)
    for step in ("needs-analysis", "abandon"):
        r = await client.post(f"/v1/projects/{pid}/{step}", json={"nonsense": 1}, headers=stranger)
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    colleague = tokens.auth(
        roles=["manager"],
        ministry=(
            await client.get(f"/v1/projects/{pid}", headers=tokens.auth(roles=["campus_staff"]))
        ).json()["ministry"],
    )
    r = await client.post(f"/v1/projects/{pid}/needs-analysis", json=NEEDS, headers=colleague)
    assert r.status_code == 403 and "owner" in r.json()["detail"]
    assert (
        await client.post(f"/v1/projects/{pid}/advance", json={"to_stage": "design"}, headers=colleague)
    ).status_code == 403
    assert (await client.get(f"/v1/projects/{uuid.uuid4()}", headers=stranger)).status_code == 404
    assert (await client.get("/v1/projects")).status_code == 401


async def test_a_skipped_stage_is_409_naming_the_missing_step(client, tokens):
    staff = tokens.auth(roles=["campus_staff"])
    pid = (await open_project(client, tokens, ministry()))["id"]
    r = await client.post(f"/v1/projects/{pid}/advance", json={"to_stage": "design"}, headers=staff)
    assert r.status_code == 409 and "needs analysis" in r.json()["detail"]
    await client.post(f"/v1/projects/{pid}/needs-analysis", json=NEEDS, headers=staff)
    r = await client.post(f"/v1/projects/{pid}/advance", json={"to_stage": "implementation"}, headers=staff)
    assert r.status_code == 409 and "next step is design" in r.json()["detail"]
    r = await client.post(f"/v1/projects/{pid}/design", json=design(), headers=staff)
    assert r.status_code == 409 and "needs_analysis" in r.json()["detail"]
    bad = await client.post(f"/v1/projects/{pid}/advance", json={"to_stage": "later"}, headers=staff)
    assert bad.status_code == 422 and "to_stage" in bad.json()["detail"]
    abandoned = await client.post(
        f"/v1/projects/{pid}/abandon", json={"reason": "Réorganisation"}, headers=staff
    )
    assert abandoned.status_code == 200 and abandoned.json()["stage"] == "abandoned"
    r = await client.post(f"/v1/projects/{pid}/advance", json={"to_stage": "design"}, headers=staff)
    assert r.status_code == 409 and "abandoned" in r.json()["detail"]


async def test_open_validates_is_idempotent_and_lists_by_ministry(client, tokens):
    own, sub = ministry(), uuid.uuid4()
    manager = tokens.auth(roles=["manager"], ministry=own, sub=sub)
    r = await client.post("/v1/projects", json={**PROJECT, "team_size": 0, "extra": 1}, headers=manager)
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"team_size", "extra"}
    assert (
        await client.post("/v1/projects", json=PROJECT, headers=tokens.auth(roles=["agent"]))
    ).status_code == 403
    keyed = {**manager, "Idempotency-Key": "seed-1"}
    first = await client.post("/v1/projects", json=PROJECT, headers=keyed)
    again = await client.post("/v1/projects", json=PROJECT, headers=keyed)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert first.headers["location"] == f"/v1/projects/{first.json()['id']}"
    second = await open_project(client, tokens, own, sub)
    await open_project(client, tokens, ministry())

    async def both_listed():
        page = (await client.get("/v1/projects", params={"limit": 1}, headers=manager)).json()
        return page if page["next_cursor"] else None

    page = await eventually(both_listed)
    assert page["items"][0]["id"] == second["id"]
    rest = (await client.get("/v1/projects", params={"cursor": page["next_cursor"]}, headers=manager)).json()
    assert [p["id"] for p in rest["items"]] == [first.json()["id"]] and rest["next_cursor"] is None
    other = await client.get("/v1/projects", params={"ministry": "dinum"}, headers=manager)
    assert other.status_code == 403
    assert (await client.get("/v1/pipeline", headers=manager)).status_code == 403
    assert (await client.get("/v1/projects", params={"limit": 501}, headers=manager)).status_code == 422


def with_value(body: dict, field: str, value) -> dict:
    """A copy of ``body`` with ``field`` (a dotted path, as a 422 names it) set to ``value``."""
    body = copy.deepcopy(body)
    *parents, last = field.split(".")
    target = body
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    target[last] = value
    return body


async def test_integers_are_not_coerced_from_other_json_types(client, tokens):
    # "12", true or 12.0 was taken for 12 or 1: a 422 naming the field (as in funding), nested ones
    # too, before the project's stage is looked at.
    own = ministry()
    manager, staff = tokens.auth(roles=["manager"], ministry=own), tokens.auth(roles=["campus_staff"])
    project = f"/v1/projects/{(await open_project(client, tokens, own))['id']}"
    needs = {**NEEDS, "agent_profiles": PROJECT["agent_profiles"]}
    implementation = {"sessions_delivered": 1, "participants": 11, "modality": "in_person"}
    evaluation = {
        "indicators": [{"profile": "chargé d'études", "agents_targeted": 12, "agents_reached": 11}],
        "satisfaction_rate": 0.9,
        "savings_cents": 150_000,
    }
    cases = [
        ("/v1/projects", manager, PROJECT, "team_size"),
        ("/v1/projects", manager, PROJECT, "agent_profiles.0.count"),
        (f"{project}/needs-analysis", staff, needs, "agent_profiles.0.count"),
        (f"{project}/design", staff, design(), "modules.0.duration_minutes"),
        (f"{project}/design", staff, design(), "estimated_cost_cents"),
        (f"{project}/implementation", staff, implementation, "sessions_delivered"),
        (f"{project}/implementation", staff, implementation, "participants"),
        (f"{project}/evaluation", staff, evaluation, "savings_cents"),
        (f"{project}/evaluation", staff, evaluation, "indicators.0.agents_targeted"),
        (f"{project}/evaluation", staff, evaluation, "indicators.0.agents_reached"),
    ]
    for url, headers, body, field in cases:
        for value in ("12", True, 12.0, 1.5):
            r = await client.post(url, json=with_value(body, field, value), headers=headers)
            assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
            assert [e["field"] for e in r.json()["errors"]] == [field], (url, value, r.json())
        # A JSON integer passes the body's validation (the project's stage may refuse the step: 409).
        r = await client.post(url, json=with_value(body, field, 12), headers=headers)
        assert r.status_code in (200, 201, 409), (url, field, r.text)
    for value in ("0.9", True):  # a rate is any JSON number, not a string nor a boolean
        r = await client.post(
            f"{project}/evaluation", json={**evaluation, "satisfaction_rate": value}, headers=staff
        )
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["satisfaction_rate"], (
            r.text
        )
    for value in (1, 0.9):
        r = await client.post(
            f"{project}/evaluation", json={**evaluation, "satisfaction_rate": value}, headers=staff
        )
        assert r.status_code in (200, 409), r.text


async def test_one_entry_per_profile(client, tokens):
    """Two entries for one profile (case and spaces aside) would count its agents twice in the FTAP
    indicators: a 422 naming the list."""
    own = ministry()
    manager, staff = tokens.auth(roles=["manager"], ministry=own), tokens.auth(roles=["campus_staff"])
    project = f"/v1/projects/{(await open_project(client, tokens, own))['id']}"
    needs = {**NEEDS, "agent_profiles": PROJECT["agent_profiles"]}
    evaluation = {
        "indicators": [{"profile": "chargé d'études", "agents_targeted": 12, "agents_reached": 11}],
        "satisfaction_rate": 0.9,
        "savings_cents": 150_000,
    }
    twice = [{"profile": "chargé d'études", "count": 6}, {"profile": "Chargé d'études ", "count": 6}]
    reach = [{"profile": "Chargé d'études", "agents_targeted": 6, "agents_reached": 6}]
    for url, headers, body, field in (  # one entry per profile: two would count its agents twice
        ("/v1/projects", manager, {**PROJECT, "agent_profiles": twice}, "agent_profiles"),
        (f"{project}/needs-analysis", staff, {**needs, "agent_profiles": twice}, "agent_profiles"),
        (
            f"{project}/evaluation",
            staff,
            {**evaluation, "indicators": evaluation["indicators"] + reach},
            "indicators",
        ),
    ):
        r = await client.post(url, json=body, headers=headers)
        assert r.status_code == 422 and "appears twice" in r.text, (url, r.text)
        assert [e["field"] for e in r.json()["errors"]] == [field], r.text

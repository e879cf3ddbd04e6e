"""Bad input is a 4xx problem naming the field and the rule, never a 500, and records nothing."""

from __future__ import annotations

import uuid

import pytest

from .conftest import ENVELOPE, request_body

PROBLEM = "application/problem+json"


async def count_events(app) -> int:
    async with app.state.runtime.pool.acquire() as conn:
        return await conn.fetchval("SELECT count(*) FROM events")


async def refused(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    if field is not None:
        assert field in {e["field"] for e in problem["errors"]}, problem
    return problem


@pytest.fixture
async def under_review(client, committee, manager, publish):
    project_id = await publish()
    envelope = (await client.post("/v1/envelopes", json=ENVELOPE, headers=committee)).json()
    request = (
        await client.post(
            "/v1/funding-requests", json=request_body(project_id, envelope["id"]), headers=manager
        )
    ).json()
    await client.post(f"/v1/funding-requests/{request['id']}/start-review", headers=committee)
    return project_id, envelope["id"], request["id"]


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"requested_cents": -100}, "requested_cents", "greater than 0"),
        ({"requested_cents": 100.5}, "requested_cents", "integer"),
        ({"project_cost_cents": 1_000_000.0}, "project_cost_cents", "integer"),
        ({"project_cost_cents": 1_000_000, "requested_cents": 500_000}, "project_cost_cents", "bounds"),
        ({"project_cost_cents": 31_000_000}, "project_cost_cents", "bounds"),
        ({"requested_cents": 10_000_001}, "requested_cents", "max_rate"),
        ({"expected_satisfaction_rate": "0.9"}, "expected_satisfaction_rate", "number"),
        ({"expected_satisfaction_rate": True}, "expected_satisfaction_rate", "number"),
        (
            {
                "agents_targeted": [
                    {"profile": "Développeur", "count": 20},
                    {"profile": "développeur ", "count": 5},
                ]
            },
            "agents_targeted",
            "appears twice",
        ),
        ({"criteria": ["charisma"]}, "criteria.0", ""),
        ({"surprise": True}, "surprise", ""),
    ],
)
async def test_invalid_requests_name_the_field_and_the_rule(
    app, client, manager, under_review, overrides, field, rule
):
    project_id, envelope_id, _ = under_review
    before = await count_events(app)
    response = await client.post(
        "/v1/funding-requests", json=request_body(project_id, envelope_id, **overrides), headers=manager
    )
    problem = await refused(response, 422, field)
    assert rule in response.text, problem
    assert await count_events(app) == before


async def test_unknown_envelope_or_request_is_404(app, client, committee, manager, under_review):
    project_id = under_review[0]
    before = await count_events(app)
    await refused(
        await client.post(
            "/v1/funding-requests", json=request_body(project_id, str(uuid.uuid4())), headers=manager
        ),
        404,
    )
    await refused(await client.get(f"/v1/envelopes/{uuid.uuid4()}", headers=committee), 404)
    await refused(await client.get(f"/v1/envelopes/{uuid.uuid4()}/ledger", headers=committee), 404)
    await refused(
        await client.post(
            f"/v1/funding-requests/{uuid.uuid4()}/approve", json={"granted_cents": 1}, headers=committee
        ),
        404,
    )
    assert await count_events(app) == before


async def test_decisions_refuse_bad_bodies_and_impossible_transitions(app, client, committee, under_review):
    _, _, rid = under_review
    base = f"/v1/funding-requests/{rid}"
    before = await count_events(app)
    await refused(await client.post(f"{base}/reject", json={}, headers=committee), 422, "motivation")
    await refused(
        await client.post(f"{base}/reject", json={"motivation": "   "}, headers=committee), 422, "motivation"
    )
    await refused(
        await client.post(f"{base}/approve", json={"granted_cents": 1.5}, headers=committee),
        422,
        "granted_cents",
    )
    await refused(
        await client.post(f"{base}/approve", json={"granted_cents": -1}, headers=committee),
        422,
        "granted_cents",
    )
    await refused(
        await client.post(f"{base}/approve", json={"granted_cents": 10_000_001}, headers=committee),
        422,
        "granted_cents",
    )
    await refused(
        await client.post(f"{base}/disbursements", json={"amount_cents": 1}, headers=committee), 409
    )
    assert await count_events(app) == before

    assert (
        await client.post(f"{base}/reject", json={"motivation": "Hors périmètre."}, headers=committee)
    ).status_code == 200
    after_reject = await count_events(app)
    problem = await refused(
        await client.post(f"{base}/approve", json={"granted_cents": 1_000}, headers=committee), 409
    )
    assert "rejected" in problem["detail"]
    await refused(await client.post(f"{base}/release", headers=committee), 409)
    assert await count_events(app) == after_reject


async def test_roles_are_checked_before_the_body(client, manager, tokens, under_review):
    _, _, rid = under_review
    assert (await client.post("/v1/envelopes", json={})).status_code == 401
    assert (await client.post("/v1/envelopes", json={}, headers=manager)).status_code == 403
    assert (
        await client.post(f"/v1/funding-requests/{rid}/approve", json={}, headers=manager)
    ).status_code == 403
    agent = tokens.auth(roles=["agent"])
    assert (await client.get("/v1/envelopes", headers=agent)).status_code == 403
    committee_only = tokens.auth(roles=["funding_committee"])
    assert (await client.post("/v1/funding-requests", json={}, headers=committee_only)).status_code == 403


async def test_envelope_rules_are_validated(client, committee):
    for rate in (1.5, "0.5", True):  # a JSON number up to 1: "0.5" and true were taken for 0.5 and 1
        await refused(
            await client.post("/v1/envelopes", json={**ENVELOPE, "max_rate": rate}, headers=committee),
            422,
            "max_rate",
        )
    await refused(
        await client.post("/v1/envelopes", json={**ENVELOPE, "amount_cents": 10.0}, headers=committee),
        422,
        "amount_cents",
    )
    inverted = {**ENVELOPE, "min_project_cents": 40_000_000}
    await refused(
        await client.post("/v1/envelopes", json=inverted, headers=committee), 422, "min_project_cents"
    )
    listed = await client.get("/v1/envelopes", params={"limit": 501}, headers=committee)
    await refused(listed, 422, "limit")


@pytest.mark.parametrize("cursor", ["³", "٣", "-1", "12a", "9" * 19])
async def test_a_cursor_not_given_by_the_service_is_a_422_on_the_cursor(client, committee, cursor):
    # "³" and "٣" are digits to str.isdigit() and not to int(): found by the fuzzing scenario (a 500).
    await refused(
        await client.get("/v1/envelopes", params={"cursor": cursor}, headers=committee), 422, "cursor"
    )

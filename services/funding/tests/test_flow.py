"""The lifecycle over HTTP: an envelope, a request for a project in design, the decisions, tranches
and the release, with the read models (envelope totals, ledger, requests) catching up."""

from __future__ import annotations

import asyncio
import uuid

from campus_events.contracts.funding import FundingRequested
from campus_events.contracts.vocab import ProjectStage
from campus_events.envelope import Actor, envelope_for
from campus_service.testing import eventually

from .conftest import ENVELOPE, request_body


async def test_full_lifecycle_with_ledger(app, client, committee, manager, publish, ministry, tokens):
    project_id = await publish()
    opened = await client.post("/v1/envelopes", json=ENVELOPE, headers=committee)
    assert opened.status_code == 201, opened.text
    envelope = opened.json()
    assert envelope["available_cents"] == 200_000_000 and opened.headers["location"].endswith(envelope["id"])

    created = await client.post(
        "/v1/funding-requests", json=request_body(project_id, envelope["id"]), headers=manager
    )
    assert created.status_code == 201, created.text
    request = created.json()
    assert request["status"] == "requested" and request["ministry"] == ministry
    assert request["criteria"] == ["impact", "poolability"] and request["agents_targeted"][0]["count"] == 20
    rid = request["id"]
    base = f"/v1/funding-requests/{rid}"

    assert (await client.post(f"{base}/start-review", headers=committee)).json()["status"] == "under_review"
    approved = await client.post(
        f"{base}/approve", json={"granted_cents": 8_000_000, "motivation": "Mutualisable."}, headers=committee
    )
    assert approved.status_code == 200, approved.text
    assert (
        approved.json()["status"] == "approved"
        and approved.json()["decision"]["motivation"] == "Mutualisable."
    )

    first = await client.post(f"{base}/disbursements", json={"amount_cents": 3_000_000}, headers=committee)
    assert (
        first.status_code == 201
        and first.json()["tranches"] == 1
        and first.json()["remaining_cents"] == 5_000_000
    )
    too_much = await client.post(f"{base}/disbursements", json={"amount_cents": 6_000_000}, headers=committee)
    assert too_much.status_code == 422 and too_much.json()["errors"][0]["field"] == "amount_cents"

    released = await client.post(f"{base}/release", headers=committee)
    assert released.status_code == 200 and released.json()["status"] == "closed"
    assert released.json()["released_cents"] == 5_000_000

    async def envelope_settled():
        body = (await client.get(f"/v1/envelopes/{envelope['id']}", headers=committee)).json()
        return body if body["reserved_cents"] == 3_000_000 else None

    settled = await eventually(envelope_settled)
    assert settled == {**settled, "disbursed_cents": 3_000_000, "available_cents": 197_000_000}
    ledger = (await client.get(f"/v1/envelopes/{envelope['id']}/ledger", headers=committee)).json()
    assert [(e["kind"], e["amount_cents"]) for e in ledger["items"]] == [
        ("reserved", 8_000_000),
        ("disbursed", 3_000_000),
        ("released", 5_000_000),
    ]
    assert ledger["reserved_cents"] == settled["reserved_cents"] and ledger["disbursed_cents"] == 3_000_000

    async def request_closed():
        r = await client.get(base, headers=manager)
        return r.json() if r.status_code == 200 and r.json()["status"] == "closed" else None

    shown = await eventually(request_closed)
    assert shown["decision"]["status"] == "approved" and shown["remaining_cents"] == 0
    # Every answer after the decision carries it as a read gives it: who, when, why.
    assert approved.json()["decision"] == shown["decision"] and shown["decision"]["at"] is not None
    assert released.json()["decision"] == shown["decision"] == first.json()["decision"]
    other = tokens.auth(roles=["manager"], ministry="autre")
    assert (await client.get(base, headers=other)).status_code == 403
    listed = (
        await client.get("/v1/funding-requests", params={"envelope_id": envelope["id"]}, headers=other)
    ).json()
    assert listed["items"] == []
    mine = (
        await client.get("/v1/funding-requests", params={"status": "closed", "limit": 1}, headers=manager)
    ).json()
    assert [r["id"] for r in mine["items"]] == [rid]


async def test_reject_and_dismiss_need_a_motivation(client, committee, manager, publish):
    project_id = await publish()
    envelope = (await client.post("/v1/envelopes", json=ENVELOPE, headers=committee)).json()

    async def file() -> str:
        r = await client.post(
            "/v1/funding-requests", json=request_body(project_id, envelope["id"]), headers=manager
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    ids = [await file()]
    missing = await client.post(f"/v1/funding-requests/{ids[0]}/reject", json={}, headers=committee)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "motivation"
    rejected = await client.post(
        f"/v1/funding-requests/{ids[0]}/reject",
        json={"motivation": "Outil propre à un ministère."},
        headers=committee,
    )
    assert rejected.json()["status"] == "rejected"
    ids.append(await file())  # a rejected project may apply again
    dismissed = await client.post(
        f"/v1/funding-requests/{ids[1]}/dismiss", json={"motivation": "Dossier incomplet."}, headers=committee
    )
    assert dismissed.json()["status"] == "dismissed"
    again = await client.post(f"/v1/funding-requests/{ids[0]}/start-review", headers=committee)
    assert again.status_code == 409 and "rejected" in again.json()["detail"]


async def test_a_project_not_known_yet_or_not_in_design_is_a_409(app, client, committee, manager, publish):
    envelope = (await client.post("/v1/envelopes", json=ENVELOPE, headers=committee)).json()
    unknown = await client.post(
        "/v1/funding-requests", json=request_body(uuid.uuid4(), envelope["id"]), headers=manager
    )
    assert unknown.status_code == 409
    assert "not yet known to the funding service" in unknown.json()["detail"]
    implementing = await publish(ProjectStage.IMPLEMENTATION)
    late = await client.post(
        "/v1/funding-requests", json=request_body(implementing, envelope["id"]), headers=manager
    )
    assert late.status_code == 409 and "implementation" in late.json()["detail"]


async def filed_past_the_check(app, ministry: str, body: dict, envelope_id: str) -> uuid.UUID:
    """A request for ``body``'s project appended straight to the store, as one filed at the same
    instant as another would be (both past the filing check)."""
    racer = uuid.uuid4()
    filed = FundingRequested(
        request_id=racer,
        project_id=uuid.UUID(body["project_id"]),
        envelope_id=uuid.UUID(envelope_id),
        ministry=ministry,
        project_cost_cents=body["project_cost_cents"],
        requested_cents=body["requested_cents"],
        expected_satisfaction_rate=0.85,
        expected_savings_cents=0,
        summary="Le même projet, déposé deux fois.",
        requested_by=uuid.uuid4(),
    )
    actor = Actor(id=uuid.uuid4(), role="manager")
    await app.state.runtime.store.append(
        [envelope_for(filed, racer, ministry=ministry, actor=actor)], {f"request-{racer}": 0}
    )
    return racer


async def test_a_project_is_co_funded_through_one_request(app, client, committee, manager, ministry, publish):
    """FACTS: co-funding up to 50 % of the project's cost — a second request would double it."""
    project_id = await publish()
    envelope = (await client.post("/v1/envelopes", json=ENVELOPE, headers=committee)).json()
    body = request_body(project_id, envelope["id"])
    first = (await client.post("/v1/funding-requests", json=body, headers=manager)).json()
    second = await client.post("/v1/funding-requests", json=body, headers=manager)
    assert second.status_code == 409 and first["id"] in second.json()["detail"]
    for step, payload in (("start-review", None), ("approve", {"granted_cents": 10_000_000})):
        done = await client.post(
            f"/v1/funding-requests/{first['id']}/{step}", json=payload, headers=committee
        )
        assert done.status_code == 200, done.text
    again = await client.post("/v1/funding-requests", json=body, headers=manager)
    assert again.status_code == 409 and "approved" in again.json()["detail"]

    # A request filed at the very moment of the first passed the filing check: its approval is refused.
    racer = await filed_past_the_check(app, ministry, body, envelope["id"])
    review = await client.post(f"/v1/funding-requests/{racer}/start-review", headers=committee)
    assert review.status_code == 200, review.text
    refused = await client.post(
        f"/v1/funding-requests/{racer}/approve", json={"granted_cents": 10_000_000}, headers=committee
    )
    assert refused.status_code == 409 and first["id"] in refused.json()["detail"]
    async with app.state.runtime.pool.acquire() as conn:
        reserved = await conn.fetch(
            "SELECT data FROM events WHERE type = 'EnvelopeFundsReserved' AND stream = $1",
            f"envelope-{envelope['id']}",
        )
    assert [r["data"]["amount_cents"] for r in reserved] == [10_000_000]


async def test_two_approvals_of_one_project_on_two_envelopes_grant_once(
    app, client, committee, manager, ministry, publish
):
    """Two envelopes share no stream: the project's turn (an advisory lock) serialises the approvals."""
    envelopes = [
        (await client.post("/v1/envelopes", json={**ENVELOPE, "year": 2030 + i}, headers=committee)).json()
        for i in range(2)
    ]
    for _ in range(5):  # each round a new project and a fresh race, won in any order: never twice
        project_id = await publish()
        body = request_body(project_id, envelopes[0]["id"])
        first = (await client.post("/v1/funding-requests", json=body, headers=manager)).json()
        racer = await filed_past_the_check(app, ministry, body, envelopes[1]["id"])  # the other envelope
        ids = [first["id"], str(racer)]
        for rid in ids:
            review = await client.post(f"/v1/funding-requests/{rid}/start-review", headers=committee)
            assert review.status_code == 200, review.text
        grant = {"granted_cents": 10_000_000}
        answers = await asyncio.gather(
            *(
                client.post(f"/v1/funding-requests/{rid}/approve", json=grant, headers=committee)
                for rid in ids
            )
        )
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        async with app.state.runtime.pool.acquire() as conn:
            reserved = await conn.fetchval(
                "SELECT count(*) FROM events WHERE type = 'EnvelopeFundsReserved'"
                " AND data->>'request_id' = ANY($1::text[])",
                ids,
            )
        assert reserved == 1


async def test_two_filings_of_one_project_at_once_make_one_request(client, committee, manager, publish):
    envelope = (await client.post("/v1/envelopes", json=ENVELOPE, headers=committee)).json()
    for _ in range(3):
        body = request_body(await publish(), envelope["id"])
        answers = await asyncio.gather(
            *(client.post("/v1/funding-requests", json=body, headers=manager) for _ in range(2))
        )
        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]

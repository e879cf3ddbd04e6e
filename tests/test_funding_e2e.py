"""Funding on the running stack: the projects service's events (published here as it would)
reach the funding projection; an approval with a repeated Idempotency-Key reserves once."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import nats
import pytest

from campus_events.contracts.projects import ProjectOpened, ProjectStageAdvanced
from campus_events.contracts.vocab import ProjectStage
from campus_events.envelope import Actor, envelope_for
from campus_service.devkeys import mint_token

pytestmark = pytest.mark.e2e


def poll(check: Callable[[], Any], within: float = 10.0) -> Any:
    deadline = time.monotonic() + within
    while not (result := check()):
        assert time.monotonic() < deadline, f"not true after {within}s"
        time.sleep(0.05)
    return result


async def publish_project_in_design(nats_url: str, ministry: str) -> uuid.UUID:
    project_id, actor = uuid.uuid4(), Actor(id=uuid.uuid4(), role="manager")
    events = [
        ProjectOpened(
            project_id=project_id,
            ministry=ministry,
            title="Projet e2e",
            service="Bureau e2e",
            team_size=8,
            expectations="e2e",
            opened_by=actor.id,
        ),
        ProjectStageAdvanced(
            project_id=project_id, from_stage=ProjectStage.NEEDS_ANALYSIS, to_stage=ProjectStage.DESIGN
        ),
    ]
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for version, event in enumerate(events, start=1):
            envelope = envelope_for(event, project_id, ministry=ministry, actor=actor)
            envelope = envelope.model_copy(update={"stream_version": version})
            await js.publish(envelope.subject, envelope.to_json(), headers={"Nats-Msg-Id": str(envelope.id)})
    finally:
        await nc.close()
    return project_id


def test_a_request_on_a_projected_project_is_approved_once(stack):
    key = (stack.root / "keys" / "private.pem").read_bytes()
    own = f"m{uuid.uuid4().hex[:8]}"

    def auth(*roles: str, ministry: str = "dinum") -> dict[str, str]:
        token = mint_token(key, sub=str(uuid.uuid4()), roles=list(roles), ministry=ministry, ttl=600)
        return {"Authorization": f"Bearer {token}"}

    manager, committee = auth("manager", ministry=own), auth("funding_committee")
    funding = httpx.Client(base_url=stack.services["funding"].url, timeout=10)
    envelope = funding.post(
        "/v1/envelopes",
        json={
            "name": "FTAP (e2e)",
            "year": 2026,
            "amount_cents": 20_000_000,
            "min_project_cents": 2_000_000,
            "max_project_cents": 30_000_000,
            "max_rate": 0.5,
        },
        headers=committee,
    )
    assert envelope.status_code == 201, envelope.text
    envelope_id = envelope.json()["id"]
    body = {
        "envelope_id": envelope_id,
        "project_cost_cents": 8_000_000,
        "requested_cents": 4_000_000,
        "expected_satisfaction_rate": 0.9,
        "summary": "e2e",
    }
    unknown = funding.post(
        "/v1/funding-requests", json={**body, "project_id": str(uuid.uuid4())}, headers=manager
    )
    assert unknown.status_code == 409 and "retry shortly" in unknown.json()["detail"]

    project_id = asyncio.run(publish_project_in_design(stack.operator_nats_url(), own))

    def requested() -> httpx.Response | None:
        response = funding.post(
            "/v1/funding-requests", json={**body, "project_id": str(project_id)}, headers=manager
        )
        return response if response.status_code == 201 else None

    request_id = poll(requested).json()["id"]
    assert (
        funding.post(f"/v1/funding-requests/{request_id}/start-review", headers=committee).status_code == 200
    )
    once = {**committee, "Idempotency-Key": f"e2e-{request_id}"}
    approvals = [
        funding.post(
            f"/v1/funding-requests/{request_id}/approve", json={"granted_cents": 4_000_000}, headers=once
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in approvals] == [200, 200] and approvals[0].json() == approvals[1].json()

    def settled() -> dict[str, Any] | None:
        shown = funding.get(f"/v1/envelopes/{envelope_id}", headers=committee).json()
        return shown if shown["reserved_cents"] else None

    assert poll(settled)["available_cents"] == 16_000_000
    ledger = funding.get(f"/v1/envelopes/{envelope_id}/ledger", headers=committee).json()
    assert [(e["kind"], e["amount_cents"]) for e in ledger["items"]] == [("reserved", 4_000_000)]

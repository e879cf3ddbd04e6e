"""Across the real services: a project designed here gets FTAP funding approved by the funding
service, and the projects pipeline shows the approved amount within 2 seconds."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from campus_service.devkeys import mint_token

pytestmark = pytest.mark.e2e


def poll(check: Callable[[], Any], within: float, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + within
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {within}s")
        time.sleep(interval)
    return result


def test_an_approved_funding_shows_in_the_pipeline_within_2_seconds(stack):
    key = (stack.root / "keys" / "private.pem").read_bytes()
    own = f"m{uuid.uuid4().hex[:8]}"

    def auth(*roles: str, ministry: str = "dinum", sub: uuid.UUID | None = None) -> dict[str, str]:
        token = mint_token(key, sub=str(sub or uuid.uuid4()), roles=list(roles), ministry=ministry, ttl=600)
        return {"Authorization": f"Bearer {token}"}

    manager, staff, committee = auth("manager", ministry=own), auth("campus_staff"), auth("funding_committee")
    projects = httpx.Client(base_url=stack.services["projects"].url, timeout=10)
    funding = httpx.Client(base_url=stack.services["funding"].url, timeout=10)

    opened = projects.post(
        "/v1/projects",
        json={"title": "IA générative", "service": "Études", "team_size": 10, "expectations": "Pratiquer"},
        headers=manager,
    )
    assert opened.status_code == 201, opened.text
    pid = opened.json()["id"]
    steps = [
        (
            "needs-analysis",
            {"findings": "Niveaux inégaux", "expectations": "Pratique", "team_culture": "Curieuse"},
        ),
        ("advance", {"to_stage": "design"}),
        (
            "design",
            {
                "modules": [{"title": "Atelier", "modality": "in_person", "duration_minutes": 240}],
                "content_production": "Cas d'usage",
                "estimated_cost_cents": 4_000_000,
                "funding_intent": "ftap",
            },
        ),
    ]
    for step, body in steps:
        response = projects.post(f"/v1/projects/{pid}/{step}", json=body, headers=staff)
        assert response.status_code == 200, (step, response.text)

    envelope = funding.post(
        "/v1/envelopes",
        json={
            "name": "FTAP Campus (test)",
            "year": 2026,
            "amount_cents": 200_000_000,
            "min_project_cents": 2_000_000,
            "max_project_cents": 30_000_000,
            "max_rate": 0.5,
        },
        headers=committee,
    )
    assert envelope.status_code == 201, envelope.text
    request_body = {
        "project_id": pid,
        "envelope_id": envelope.json()["id"],
        "project_cost_cents": 4_000_000,
        "requested_cents": 2_000_000,
        "expected_satisfaction_rate": 0.8,
        "summary": "IA générative",
    }

    def requested() -> httpx.Response | None:  # the funding service learns of the design asynchronously
        response = funding.post("/v1/funding-requests", json=request_body, headers=manager)
        return response if response.status_code == 201 else None

    request_id = poll(requested, within=10).json()["id"]
    assert (
        funding.post(f"/v1/funding-requests/{request_id}/start-review", headers=committee).status_code == 200
    )
    approved = funding.post(
        f"/v1/funding-requests/{request_id}/approve", json={"granted_cents": 1_800_000}, headers=committee
    )
    assert approved.status_code == 200, approved.text

    def shown() -> dict[str, Any] | None:
        items = projects.get("/v1/pipeline", params={"ministry": own}, headers=staff).json()["items"]
        item = next((i for i in items if i["project_id"] == pid), None)
        return item if item and item["funding"] and item["funding"]["status"] == "approved" else None

    item = poll(shown, within=2)
    assert item["stage"] == "design" and item["funding"]["granted_cents"] == 1_800_000
    assert item["funding"]["requested_cents"] == 2_000_000 and item["funding"]["request_id"] == request_id

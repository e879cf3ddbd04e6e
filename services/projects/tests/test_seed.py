"""The demo seeder opens the SGPI project once through the HTTP API; a second run changes nothing."""

from __future__ import annotations

import time
from types import SimpleNamespace

from fastapi.testclient import TestClient

from campus_projects.seed import DEMO_MANAGER, seed


def test_the_seed_is_idempotent(app, tokens):
    with TestClient(app, base_url="http://projects.test") as http:
        deadline = time.monotonic() + 60
        while http.get("/health/ready").status_code != 200:
            assert time.monotonic() < deadline, "not ready"
            time.sleep(0.05)
        ctx = SimpleNamespace(
            urls={"projects": "http://projects.test"},
            client=http,
            headers=lambda *roles, ministry, sub: tokens.auth(roles=roles, ministry=ministry, sub=sub),
        )
        answers: list = []
        http.event_hooks["response"].append(
            lambda r: answers.append(r) if r.request.method == "POST" else None
        )
        seed(ctx)
        seed(ctx)
        first, second = (r.read() and r for r in answers)
        assert first.status_code == second.status_code == 201 and first.json() == second.json()
        assert second.headers["idempotent-replayed"] == "true"  # the second run appended nothing
        staff = tokens.auth(roles=["campus_staff"])
        deadline = time.monotonic() + 10
        while not (items := http.get("/v1/projects", headers=staff).json()["items"]):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        items = http.get("/v1/projects", params={"ministry": "sgpi"}, headers=staff).json()["items"]
    assert len(items) == 1
    (project,) = items
    assert "(démo)" in project["title"] and project["ministry"] == "sgpi"
    assert project["opened_by"] == str(DEMO_MANAGER) and project["stage"] == "needs_analysis"

"""Across the running services: a ministry's HTTPS endpoint (here a real HTTP server of this test)
that fails its first 3 deliveries still receives each of its ministry's events exactly once, in
order, signed so that the receiver function of docs/webhooks.md accepts them and rejects a
tampered message; another ministry's events never arrive."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from campus_service.devkeys import mint_token
from campus_service.testing import eventually
from campus_webhooks.signature import sign
from campus_webhooks.testing import Receiver

pytestmark = pytest.mark.e2e
GUIDE = Path(__file__).resolve().parents[1] / "docs" / "webhooks.md"
SECRET = "whsec_" + uuid.uuid4().hex + uuid.uuid4().hex
FAST = {"CAMPUS_WEBHOOKS_RETRY_BASE_SECONDS": "0.2", "CAMPUS_WEBHOOKS_RETRY_MAX_SECONDS": "1"}


def guide_verifier() -> Any:
    """The receiver's function exactly as docs/webhooks.md gives it."""
    block = next(
        b
        for b in re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
        if "def verify_campus_signature" in b
    )
    namespace: dict[str, Any] = {}
    exec(compile(block, str(GUIDE), "exec"), namespace)
    return namespace["verify_campus_signature"]


@pytest.fixture(scope="module")
def fast_retries(stack: Any) -> Iterator[None]:
    """The webhooks service restarted with retries in a fraction of a second (10 s by default)."""
    env: dict[str, str] = stack.env  # type: ignore[assignment]
    env.update(FAST)
    stack.restart_service("webhooks", kill=False)
    stack.wait_ready(120, names=["webhooks"])
    try:
        yield
    finally:
        for name in FAST:
            env.pop(name, None)
        stack.restart_service("webhooks", kill=False)
        stack.wait_ready(120, names=["webhooks"])


async def test_a_failing_endpoint_gets_each_event_of_its_ministry_once_in_order(stack, fast_retries):
    key = (stack.root / "keys" / "private.pem").read_bytes()
    own, other = f"w{uuid.uuid4().hex[:8]}", f"w{uuid.uuid4().hex[:8]}"

    def auth(role: str, ministry: str) -> dict[str, str]:
        token = mint_token(key, sub=str(uuid.uuid4()), roles=[role], ministry=ministry, ttl=600)
        return {"Authorization": f"Bearer {token}"}

    project = {"title": "Data", "service": "Études", "team_size": 4, "expectations": "Pratiquer"}
    async with (
        Receiver(SECRET, fail_first=3, verifier=guide_verifier()) as receiver,
        httpx.AsyncClient(base_url=stack.services["webhooks"].url, timeout=15) as webhooks,
        httpx.AsyncClient(base_url=stack.services["projects"].url, timeout=15) as projects,
    ):
        registered = await webhooks.post(
            "/v1/webhooks",
            json={
                "url": receiver.url,
                "secret": SECRET,
                "event_types": ["ProjectOpened", "ProjectAbandoned"],
            },
            headers=auth("manager", own),
        )
        assert registered.status_code == 201, registered.text
        hook = registered.json()
        refused = await webhooks.post(
            "/v1/webhooks", json={"url": receiver.url, "ministry": other}, headers=auth("manager", own)
        )
        assert refused.status_code == 403

        async def open_project(ministry: str) -> str:
            r = await projects.post("/v1/projects", json=project, headers=auth("manager", ministry))
            assert r.status_code == 201, r.text
            return str(r.json()["id"])

        first = await open_project(own)
        await open_project(other)
        second = await open_project(own)
        abandoned = await projects.post(
            f"/v1/projects/{first}/abandon", json={"reason": "Reporté"}, headers=auth("campus_staff", "dinum")
        )
        assert abandoned.status_code == 200, abandoned.text
        expected = [("ProjectOpened", first), ("ProjectOpened", second), ("ProjectAbandoned", first)]

        async def all_arrived() -> bool:
            return len(receiver.accepted) >= len(expected)

        await eventually(all_arrived, within=90, interval=0.1)
        await asyncio.sleep(1.5)  # a duplicate or another ministry's event would arrive now

        got = [(r.cloudevent["type"].split(".")[-2], r.cloudevent["subject"]) for r in receiver.accepted]
        assert got == expected
        assert all(r.cloudevent["campusministry"] == own for r in receiver.accepted)
        assert sorted(receiver.counts.values()) == [1, 1, 1]  # deduplicated by Campus-Event-Id: none
        assert len(receiver.requests) == 3 + 3 and not receiver.rejected

        log = (
            await webhooks.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=auth("manager", own))
        ).json()
        entries = {d["event_id"]: d for d in log["items"]}
        assert set(entries) == set(receiver.accepted_ids)
        first_event = receiver.accepted_ids[0]
        assert entries[first_event]["attempts"] == 4 and entries[first_event]["state"] == "delivered"
        assert entries[first_event]["last_status"] == 204
        assert [entries[i]["attempts"] for i in receiver.accepted_ids[1:]] == [1, 1]

        genuine = receiver.accepted[0]
        headers = {k: v for k, v in genuine.headers.items() if k.startswith(("campus-", "content-type"))}
        async with httpx.AsyncClient(timeout=5) as http:
            tampered = genuine.body.replace(b'"team_size":4', b'"team_size":40')
            assert tampered != genuine.body
            assert (await http.post(receiver.url, content=tampered, headers=headers)).status_code == 400
            forged = {**headers, "campus-signature": sign(genuine.body, ["whsec_" + "f" * 40])}
            assert (await http.post(receiver.url, content=genuine.body, headers=forged)).status_code == 400
            assert (await http.post(receiver.url, content=genuine.body, headers=headers)).status_code == 204

        other_view = await webhooks.get(f"/v1/webhooks/{hook['id']}", headers=auth("manager", other))
        assert other_view.status_code == 403
        mine = await webhooks.get(f"/v1/webhooks/{hook['id']}", headers=auth("manager", own))
        assert mine.status_code == 200 and SECRET not in mine.text

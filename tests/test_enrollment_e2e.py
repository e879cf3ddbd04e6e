"""End to end across catalog and enrollment: a session cancelled in the catalogue cancels its
enrolments in the enrollment service within 2 seconds."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest

from campus_service.devkeys import mint_token

pytestmark = pytest.mark.e2e


def auth(stack, roles, ministry="dinum", sub=None):
    pem = (stack.root / "keys" / "private.pem").read_bytes()
    token = mint_token(pem, sub=sub or uuid.uuid4(), roles=roles, ministry=ministry)
    return {"Authorization": f"Bearer {token}"}


async def until(check, within: float, interval: float = 0.05):
    deadline = time.monotonic() + within
    while not (result := await check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {within}s")
        await asyncio.sleep(interval)
    return result


async def test_a_session_cancelled_in_the_catalog_cancels_its_enrolments(stack):
    catalog_url, enrollment_url = stack.services["catalog"].url, stack.services["enrollment"].url
    staff = auth(stack, ["campus_staff"])
    async with httpx.AsyncClient(timeout=10) as http:
        course = await http.post(
            f"{catalog_url}/v1/courses",
            json={
                "title": f"Session de démonstration {uuid.uuid4().hex[:6]}",
                "kind": "formation",
                "summary": "Donnée de démonstration",
                "modality": "online",
                "themes": ["data"],
                "pace": "scheduled",
            },
            headers=staff,
        )
        assert course.status_code == 201, course.text
        course_id = course.json()["id"]
        assert (
            await http.post(f"{catalog_url}/v1/courses/{course_id}/publish", headers=staff)
        ).status_code == 200
        session = await http.post(
            f"{catalog_url}/v1/courses/{course_id}/sessions",
            json={
                "starts_at": "2027-03-01T09:00:00Z",
                "ends_at": "2027-03-01T12:00:00Z",
                "capacity": 2,
                "join_url": "https://visio.example.org/demo",
            },
            headers=staff,
        )
        assert session.status_code == 201, session.text
        session_id = session.json()["id"]

        agents = [(sub := uuid.uuid4(), auth(stack, ["agent"], sub=sub)) for _ in range(3)]
        body = {"course_id": course_id, "session_id": session_id}

        async def enrolled(headers):
            r = await http.post(f"{enrollment_url}/v1/enrollments", json=body, headers=headers)
            return r.json() if r.status_code == 201 else None

        made = [await until(lambda h=h: enrolled(h), within=10) for _, h in agents]
        assert [m["status"] for m in made] == ["enrolled", "enrolled", "waitlisted"]

        async def projected():
            r = await http.get(f"{enrollment_url}/v1/sessions/{session_id}/seats")
            return r.status_code == 200 and r.json()["enrolled"] + r.json()["waitlisted"] == 3

        await until(projected, within=5)
        cancelled = await http.post(f"{catalog_url}/v1/sessions/{session_id}/cancel", headers=staff)
        assert cancelled.status_code == 200, cancelled.text

        async def all_cancelled():
            statuses = [
                (await http.get(f"{enrollment_url}/v1/enrollments/{m['id']}", headers=h)).json()["status"]
                for m, (_, h) in zip(made, agents, strict=True)
            ]
            return statuses == ["cancelled"] * 3

        await until(all_cancelled, within=2)

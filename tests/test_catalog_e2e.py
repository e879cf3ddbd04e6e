"""End to end on the running stack: a course proposed and published by the Campus staff is found by
anyone (no token) with an accent-free French query within a second; archived, it leaves the list and
stays readable by id."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from campus_service.devkeys import mint_token

pytestmark = pytest.mark.e2e


def poll(call, until, within: float, interval: float = 0.05):
    deadline = time.monotonic() + within
    while True:
        result = call()
        if until(result) or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def test_published_then_archived_course_in_the_public_catalogue(stack):
    catalog = stack.services["catalog"].url
    private = (stack.root / "keys" / "private.pem").read_bytes()
    staff = {
        "Authorization": f"Bearer {mint_token(private, sub=uuid.uuid4(), roles=['campus_staff'], ministry='dinum', ttl=600)}"
    }
    marker = uuid.uuid4().hex[:10]
    body = {
        "title": f"Sécurité des données {marker}",
        "kind": "formation",
        "summary": "Protéger les données sensibles de son administration.",
        "modality": "online",
        "themes": ["cybersecurite", "data"],
    }
    created = httpx.post(f"{catalog}/v1/courses", json=body, headers=staff, timeout=10)
    assert created.status_code == 201, created.text
    course_id = created.json()["id"]
    assert (
        httpx.post(f"{catalog}/v1/courses/{course_id}/publish", headers=staff, timeout=10).status_code == 200
    )

    def search():
        return httpx.get(
            f"{catalog}/v1/courses", params={"q": f"securite donnees {marker}"}, timeout=10
        ).json()

    start = time.monotonic()
    found = poll(search, lambda page: page["total"] == 1, within=5)
    assert found["items"][0]["id"] == course_id and time.monotonic() - start < 1.5

    assert (
        httpx.post(f"{catalog}/v1/courses/{course_id}/archive", headers=staff, timeout=10).status_code == 200
    )
    assert poll(search, lambda page: page["total"] == 0, within=5)["total"] == 0
    archived = httpx.get(f"{catalog}/v1/courses/{course_id}", timeout=10)
    assert archived.status_code == 200 and archived.json()["status"] == "archived"

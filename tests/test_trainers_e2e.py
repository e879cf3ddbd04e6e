"""End to end, all five services: a registered trainer proposes a course in the catalog, the
Campus staff publishes it there, and the trainer's profile lists it within 2 seconds."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from campus_service.devkeys import mint_token

pytestmark = pytest.mark.e2e


def bearer(stack, *, sub: uuid.UUID, roles: list[str], ministry: str = "dinum") -> dict[str, str]:
    private = (stack.root / "keys" / "private.pem").read_bytes()
    return {
        "Authorization": f"Bearer {mint_token(private, sub=sub, roles=roles, ministry=ministry, ttl=600)}"
    }


def poll(call, until, within: float, interval: float = 0.05):
    deadline = time.monotonic() + within
    while True:
        result = call()
        if until(result) or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def test_a_course_proposed_and_published_in_the_catalog_shows_on_the_trainer_profile(stack):
    trainers, catalog = stack.services["trainers"].url, stack.services["catalog"].url
    me = uuid.uuid4()
    trainer = bearer(stack, sub=me, roles=["agent"], ministry="mefsin")
    staff = bearer(stack, sub=uuid.uuid4(), roles=["campus_staff"])

    registered = httpx.post(
        f"{trainers}/v1/trainers",
        json={"kind": "internal", "expertise": ["data"]},
        headers=trainer,
        timeout=10,
    )
    assert registered.status_code == 201, registered.text

    course = {
        "title": "Découvrir les IA génératives (e2e)",
        "kind": "formation",
        "summary": "Une heure pour comprendre ce que l'IA générative change au travail.",
        "modality": "online",
        "themes": ["data"],
    }
    # The catalog learns of the trainer from its own projection: it may refuse (403) for a moment.
    proposed = poll(
        lambda: httpx.post(f"{catalog}/v1/courses", json=course, headers=trainer, timeout=10),
        lambda r: r.status_code != 403,
        within=10,
    )
    if proposed.status_code in (404, 405):
        pytest.skip("the catalog service has no POST /v1/courses yet")
    assert proposed.status_code == 201, proposed.text
    course_id = proposed.json()["id"]

    published = httpx.post(f"{catalog}/v1/courses/{course_id}/publish", headers=staff, timeout=10)
    assert published.status_code == 200, published.text
    start = time.monotonic()

    profile = poll(
        lambda: httpx.get(f"{trainers}/v1/trainers/{me}", headers=trainer, timeout=5).json(),
        lambda p: course_id in p.get("courses_published", []),
        within=2,
    )
    assert course_id in profile["courses_published"], (time.monotonic() - start, profile)
    assert course_id in profile["courses_proposed"]

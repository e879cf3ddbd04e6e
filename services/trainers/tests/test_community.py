"""Ideas (supported once per agent) and support requests (from trainers, resolved by staff)."""

from __future__ import annotations

import base64
import uuid

from campus_service.testing import eventually


async def test_ideas_are_supported_once_per_agent_and_listed_by_support(client, tokens):
    alice, bob = tokens.auth(roles=["agent"]), tokens.auth(roles=["agent"], ministry="minarm")
    first = await client.post(
        "/v1/ideas",
        json={"title": "Matinée IA", "description": "Pour les encadrants.", "themes": ["data"]},
        headers=alice,
    )
    assert first.status_code == 201 and first.json()["support_count"] == 0
    second = await client.post(
        "/v1/ideas", json={"title": "Booster RGAA", "description": "Accessibilité."}, headers=alice
    )
    idea, other = first.json()["id"], second.json()["id"]
    assert first.headers["location"] == f"/v1/ideas/{idea}"
    assert (await client.post("/v1/ideas", json={"title": ""}, headers=alice)).status_code == 422

    supported = await client.post(f"/v1/ideas/{other}/support", headers=bob)
    assert supported.status_code == 200 and supported.json()["support_count"] == 1
    again = await client.post(f"/v1/ideas/{other}/support", headers=bob)
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    assert (await client.post(f"/v1/ideas/{other}/support", headers=alice)).json()["support_count"] == 2
    assert (await client.post(f"/v1/ideas/{uuid.uuid4()}/support", headers=bob)).status_code == 404

    async def ranked():
        page = (await client.get("/v1/ideas", params={"limit": 1}, headers=bob)).json()
        return page if page["items"] and page["items"][0]["support_count"] == 2 else None

    page = await eventually(ranked)
    assert page["items"][0]["id"] == other and page["next_cursor"]
    rest = (
        await client.get("/v1/ideas", params={"limit": 1, "cursor": page["next_cursor"]}, headers=bob)
    ).json()
    assert [i["id"] for i in rest["items"]] == [idea] and rest["next_cursor"] is None
    forged = base64.urlsafe_b64encode(f"o:{10**30}".encode()).decode()  # beyond a bigint: was a 500
    for listing in ("/v1/ideas", "/v1/trainers"):
        assert (await client.get(listing, params={"cursor": forged}, headers=bob)).status_code == 422
    by_theme = (await client.get("/v1/ideas", params={"theme": "data"}, headers=bob)).json()
    assert [i["id"] for i in by_theme["items"]] == [idea]


async def test_support_requests_from_trainers_resolved_by_staff(client, tokens):
    trainer_id = uuid.uuid4()
    trainer = tokens.auth(roles=["agent"], sub=trainer_id)
    staff = tokens.auth(roles=["campus_staff"])
    ask = {
        "title": "Scénariser un module",
        "description": "Besoin d'ingénierie pédagogique.",
        "themes": ["data"],
    }

    # Not a trainer: refused before the body is even looked at.
    assert (await client.post("/v1/support-requests", json={"bad": 1}, headers=trainer)).status_code == 403
    await client.post(
        "/v1/trainers", json={"kind": "external_general_interest", "expertise": ["data"]}, headers=trainer
    )
    assert (await client.post("/v1/support-requests", json={"bad": 1}, headers=trainer)).status_code == 422
    created = await client.post("/v1/support-requests", json=ask, headers=trainer)
    assert created.status_code == 201 and created.json()["status"] == "open"
    request_id = created.json()["id"]

    resolve = {"resolution": "Atelier de scénarisation tenu."}
    assert (
        await client.post(f"/v1/support-requests/{request_id}/resolve", json=resolve, headers=trainer)
    ).status_code == 403
    resolved = await client.post(f"/v1/support-requests/{request_id}/resolve", json=resolve, headers=staff)
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert (
        await client.post(f"/v1/support-requests/{request_id}/resolve", json=resolve, headers=staff)
    ).status_code == 409
    assert (
        await client.get(f"/v1/support-requests/{request_id}", headers=tokens.auth(roles=["agent"]))
    ).status_code == 403

    async def listed():
        page = (await client.get("/v1/support-requests", params={"status": "resolved"}, headers=staff)).json()
        return page["items"]

    (item,) = await eventually(listed)
    assert item["id"] == request_id and item["resolution"] == resolve["resolution"]
    mine = (await client.get("/v1/support-requests", headers=trainer)).json()["items"]
    assert [i["id"] for i in mine] == [request_id]
    assert (await client.get("/v1/support-requests", headers=tokens.auth(roles=["agent"]))).json()[
        "items"
    ] == []

"""Registration, profile, directory, withdrawal and erasure over a real PostgreSQL and NATS."""

from __future__ import annotations

import uuid

from campus_service.testing import eventually


async def test_register_update_list_withdraw_and_erase(app, client, tokens):
    me = uuid.uuid4()
    auth = tokens.auth(
        roles=["agent"], ministry="mefsin", sub=me, email="ada@finances.gouv.fr", given_name="Ada"
    )
    body = {"kind": "internal", "expertise": ["data"], "bio": "Data scientist.", "availability": "Le mardi."}

    assert (await client.post("/v1/trainers", json=body)).status_code == 401
    staff_only = tokens.auth(roles=["campus_staff"], ministry="dinum")
    assert (await client.post("/v1/trainers", json={"kind": "nope"}, headers=staff_only)).status_code == 403
    invalid = await client.post("/v1/trainers", json={**body, "extra": 1, "kind": "nope"}, headers=auth)
    assert invalid.status_code == 422 and {"extra", "kind"} <= {e["field"] for e in invalid.json()["errors"]}

    created = await client.post("/v1/trainers", json=body, headers=auth)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/v1/trainers/{me}"
    profile = created.json()
    assert profile["id"] == str(me) and profile["ministry"] == "mefsin" and profile["status"] == "active"
    assert profile["bio"] == "Data scientist." and profile["courses_proposed"] == []
    assert (await client.post("/v1/trainers", json=body, headers=auth)).status_code == 409
    keyed = {**tokens.auth(roles=["agent"], ministry="dinum"), "Idempotency-Key": "register-once"}
    first, second = [await client.post("/v1/trainers", json=body, headers=keyed) for _ in range(2)]
    assert first.status_code == second.status_code == 201 and first.json() == second.json()

    # Free text and identity stay out of the events: only the pseudonymous id travels.
    (event,) = await app.state.runtime.store.read_stream(f"trainer-{me}")
    assert event.type == "TrainerRegistered"
    for secret in ("Data scientist", "mardi", "ada@", "Ada"):
        assert secret not in event.model_dump_json()

    other = tokens.auth(roles=["agent"], ministry="mefsin")
    assert (await client.patch(f"/v1/trainers/{me}", json={"bio": "x"}, headers=other)).status_code == 403
    patched = await client.patch(
        f"/v1/trainers/{me}", json={"bio": "Data & IA.", "expertise": ["data", "cybersecurite"]}, headers=auth
    )
    assert patched.status_code == 200 and patched.json()["bio"] == "Data & IA."
    assert patched.json()["expertise"] == ["data", "cybersecurite"]
    only_bio = await client.patch(f"/v1/trainers/{me}", json={"availability": "Le jeudi."}, headers=auth)
    assert only_bio.status_code == 200 and only_bio.json()["availability"] == "Le jeudi."
    assert len(await app.state.runtime.store.read_stream(f"trainer-{me}")) == 2  # no event for free text
    keyed = {**auth, "Idempotency-Key": str(uuid.uuid4())}
    for _ in range(2):
        again = await client.patch(f"/v1/trainers/{me}", json={"availability": "Le jeudi."}, headers=keyed)
        assert again.status_code == 200 and again.json()["availability"] == "Le jeudi."

    async def listed():
        page = await client.get("/v1/trainers", params={"expertise": "cybersecurite"}, headers=other)
        return [t for t in page.json()["items"] if t["id"] == str(me)]

    (entry,) = await eventually(listed)
    assert entry["expertise"] == ["data", "cybersecurite"] and entry["bio"] == "Data & IA."
    nobody = await client.get("/v1/trainers", params={"expertise": "numerique-responsable"}, headers=other)
    assert nobody.json() == {"items": [], "next_cursor": None}

    withdrawn = await client.post(f"/v1/trainers/{me}/withdraw", json={"reason": "Mobilité"}, headers=auth)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert (await client.post(f"/v1/trainers/{me}/withdraw", headers=auth)).status_code == 409

    assert (await client.post(f"/v1/agents/{me}/erase", headers=staff_only)).status_code == 403
    admin = tokens.auth(roles=["admin"], ministry="dinum")
    erased = await client.post(f"/v1/agents/{me}/erase", headers=admin)
    assert erased.status_code == 200 and erased.json()["erased"] is True
    async with app.state.runtime.pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT count(*) FROM trainer_profiles_private WHERE trainer_id = $1", me)
            == 0
        )
    after = (await client.get(f"/v1/trainers/{me}", headers=other)).json()
    assert after["id"] == str(me) and after["bio"] == "" and after["availability"] == ""
    assert (await client.get(f"/v1/trainers/{uuid.uuid4()}", headers=other)).status_code == 404

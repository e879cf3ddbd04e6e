"""Registering endpoints: who may, what is validated, what is never shown."""

from __future__ import annotations

import uuid

from campus_service.testing import TokenFactory

SECRET = "s3cr3t-" + "q" * 40


def manager(tokens: TokenFactory, ministry: str = "mte") -> dict[str, str]:
    return tokens.auth(roles=["manager"], ministry=ministry)


def staff(tokens: TokenFactory) -> dict[str, str]:
    return tokens.auth(roles=["campus_staff"], ministry="dinum")


async def register(client, headers, **body):
    body.setdefault("url", "https://rh.mte.example/campus")
    return await client.post("/v1/webhooks", json=body, headers=headers)


async def test_a_manager_registers_for_their_ministry_and_the_generated_secret_is_shown_once(client, tokens):
    r = await register(client, manager(tokens), description="SIRH", event_types=["CourseCompleted"])
    assert r.status_code == 201, r.text
    created = r.json()
    assert r.headers["location"] == f"/v1/webhooks/{created['id']}"
    assert created["ministry"] == "mte" and created["status"] == "active"
    assert created["event_types"] == ["CourseCompleted"]
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) >= 32

    one = await client.get(f"/v1/webhooks/{created['id']}", headers=manager(tokens))
    listed = await client.get("/v1/webhooks", headers=manager(tokens))
    by_staff = await client.get("/v1/webhooks", params={"ministry": "mte"}, headers=staff(tokens))
    for response in (one, listed, by_staff):
        assert response.status_code == 200, response.text
        assert secret not in response.text and 'secret"' not in response.text.replace("secret_rotated", "")
    assert one.json()["url"] == "https://rh.mte.example/campus"
    assert [w["id"] for w in listed.json()["items"]] == [created["id"]]


async def test_a_given_secret_is_never_echoed(client, tokens):
    r = await register(client, manager(tokens), secret=SECRET)
    assert r.status_code == 201, r.text
    assert "secret" not in r.json() and SECRET not in r.text


async def test_an_idempotency_key_returns_the_first_answer_and_registers_once(client, tokens):
    sub = uuid.uuid4()
    headers = {**tokens.auth(roles=["manager"], ministry="mte", sub=sub), "Idempotency-Key": "reg-1"}
    first = await register(client, headers)
    again = await register(
        client, {**tokens.auth(roles=["manager"], ministry="mte", sub=sub), "Idempotency-Key": "reg-1"}
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    listed = await client.get("/v1/webhooks", headers=manager(tokens))
    assert len(listed.json()["items"]) == 1
    other_body = await client.post(
        "/v1/webhooks",
        json={"url": "https://other.example/x"},
        headers={**tokens.auth(roles=["manager"], ministry="mte", sub=sub), "Idempotency-Key": "reg-1"},
    )
    assert other_body.status_code == 422


async def test_invalid_registrations_are_problems_naming_the_field(client, tokens):
    cases = [
        ({"url": "http://rh.mte.example/campus"}, "url"),
        ({"url": "rh.mte.example/campus"}, "url"),
        ({"url": "https://user:pw@rh.mte.example/"}, "url"),
        ({"secret": "too-short"}, "secret"),
        ({"secret": "spaces are not allowed in a secret, at all"}, "secret"),
        ({"event_types": ["NoSuchEvent"]}, "event_types"),
        ({"ministry": "Not A Code"}, "ministry"),
        ({"surprise": 1}, "surprise"),
    ]
    for body, field in cases:
        r = await register(client, staff(tokens), **body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in {e["field"] for e in r.json()["errors"]}, (body, r.json())
    missing = await client.post("/v1/webhooks", json={}, headers=staff(tokens))
    assert missing.status_code == 422 and "url" in {e["field"] for e in missing.json()["errors"]}
    no_ministry = await register(client, tokens.auth(roles=["admin"], ministry=None))
    assert no_ministry.status_code == 422 and no_ministry.json()["errors"][0]["field"] == "ministry"


async def test_loopback_http_is_accepted_in_development(client, tokens):
    r = await register(client, manager(tokens), url="http://127.0.0.1:9/hook")
    assert r.status_code == 201, r.text


async def test_who_may_manage_which_ministry(client, tokens):
    mine = (await register(client, manager(tokens, "mte"))).json()
    theirs = await register(client, manager(tokens, "mte"), ministry="mj")
    assert theirs.status_code == 403
    # 403 comes before the body is validated.
    assert (await register(client, manager(tokens, "mte"), ministry="mj", secret="short")).status_code == 403
    by_staff = await register(client, staff(tokens), ministry="mj")
    by_admin = await register(client, tokens.auth(roles=["admin"], ministry="dinum"), ministry="sgpi")
    assert by_staff.status_code == by_admin.status_code == 201
    assert by_staff.json()["ministry"] == "mj"

    other = manager(tokens, "mj")
    for method, path in [
        ("GET", f"/v1/webhooks/{mine['id']}"),
        ("GET", f"/v1/webhooks/{mine['id']}/deliveries"),
        ("POST", f"/v1/webhooks/{mine['id']}/pause"),
        ("POST", f"/v1/webhooks/{mine['id']}/deactivate"),
        ("POST", f"/v1/webhooks/{mine['id']}/rotate-secret"),
    ]:
        assert (await client.request(method, path, headers=other)).status_code == 403, path
    assert (await client.get("/v1/webhooks", params={"ministry": "mte"}, headers=other)).status_code == 403
    assert [w["ministry"] for w in (await client.get("/v1/webhooks", headers=other)).json()["items"]] == [
        "mj"
    ]
    agent = tokens.auth(roles=["agent"], ministry="mte")
    assert (await register(client, agent)).status_code == 403
    assert (await client.get(f"/v1/webhooks/{mine['id']}", headers=agent)).status_code == 403
    assert (await client.get("/v1/webhooks")).status_code == 401
    assert (await client.get(f"/v1/webhooks/{uuid.uuid4()}", headers=manager(tokens))).status_code == 404
    everyone = (await client.get("/v1/webhooks", headers=staff(tokens))).json()["items"]
    assert {w["ministry"] for w in everyone} == {"mte", "mj", "sgpi"}


async def test_pause_resume_deactivate_and_rotate(client, tokens):
    hook = (await register(client, manager(tokens))).json()
    base = f"/v1/webhooks/{hook['id']}"
    assert (await client.post(f"{base}/pause", headers=manager(tokens))).json()["status"] == "paused"
    assert (await client.post(f"{base}/resume", headers=manager(tokens))).json()["status"] == "active"

    rotated = await client.post(f"{base}/rotate-secret", headers=manager(tokens))
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"] not in (None, hook["secret"]) and rotated.json()["secret_rotated_at"]
    given = await client.post(f"{base}/rotate-secret", json={"secret": SECRET}, headers=manager(tokens))
    assert given.status_code == 200 and "secret" not in given.json()
    bad = await client.post(f"{base}/rotate-secret", json={"secret": "short"}, headers=manager(tokens))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "secret"

    gone = await client.post(f"{base}/deactivate", headers=manager(tokens))
    assert gone.json()["status"] == "deactivated"
    assert (await client.post(f"{base}/deactivate", headers=manager(tokens))).status_code == 200
    for step in ("resume", "pause", "rotate-secret"):
        refused = await client.post(f"{base}/{step}", headers=manager(tokens))
        assert refused.status_code == 409, step
    assert (await client.get(base, headers=manager(tokens))).json()["status"] == "deactivated"


async def test_lists_page_with_a_cursor(client, tokens):
    ids = [(await register(client, staff(tokens), ministry="mc")).json()["id"] for _ in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "ministry": "mc", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/webhooks", params=params, headers=staff(tokens))).json()
        seen += [w["id"] for w in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids
    bad = await client.get("/v1/webhooks", params={"cursor": "%%%"}, headers=staff(tokens))
    assert bad.status_code == 422

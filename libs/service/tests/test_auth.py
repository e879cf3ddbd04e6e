"""Who may call: 401 for a missing or bad token, 403 for a wrong role or another ministry, and
both before the body is validated."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from campus_service.devkeys import generate_keypair, mint_token
from campus_service.errors import PROBLEM_MEDIA_TYPE

BODY = {"title": "Former l'équipe data", "team_size": 12}


def route(ministry: str) -> str:
    return f"/v1/ministries/{ministry}/projects"


def ministry() -> str:
    return f"m{uuid.uuid4().hex[:8]}"


async def test_roles_and_ministries(client, tokens):
    own = ministry()
    cases = [
        ({}, 401),
        (tokens.auth(roles=["agent"], ministry=own), 403),
        (tokens.auth(roles=["manager"], ministry=ministry()), 403),
        (tokens.auth(roles=["manager"], ministry=own), 201),
        (tokens.auth(roles=["campus_staff"], ministry="dinum"), 201),
    ]
    for headers, status in cases:
        response = await client.post(route(own), json=BODY, headers=headers)
        assert response.status_code == status, (headers, response.text)
        if status >= 400:
            assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
            problem = response.json()
            assert problem["status"] == status and problem["title"] and problem["detail"]
    missing = await client.post(route(own), json=BODY)
    assert missing.headers["www-authenticate"] == "Bearer"


async def test_bad_tokens_are_401(client, tokens):
    own = ministry()
    other_private, _ = generate_keypair()
    sub = uuid.uuid4()
    bad = {
        "signature": mint_token(other_private, sub=sub, roles=["manager"], ministry=own),
        "expired": tokens.token(roles=["manager"], ministry=own, ttl=-timedelta(minutes=5)),
        "issuer": tokens.token(roles=["manager"], ministry=own, issuer="someone-else"),
        "audience": tokens.token(roles=["manager"], ministry=own, audience="another-app"),
        "garbage": "not.a.jwt",
        "sub": tokens.token(roles=["manager"], ministry=own, sub="not-a-uuid"),  # type: ignore[arg-type]
    }
    for reason, token in bad.items():
        response = await client.post(route(own), json=BODY, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, (reason, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer"), reason
    basic = await client.get("/v1/whoami", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401


async def test_hs256_and_none_algorithms_are_refused(client, tokens):
    import jwt

    claims = {
        "sub": str(uuid.uuid4()),
        "iss": "campus-dev",
        "aud": "campus",
        "exp": 2**31,
        "roles": ["admin"],
    }
    # The classic confusion attack: HMAC-signed with the public key as secret (forged by hand,
    # PyJWT refuses to do it), and an unsigned token.
    for token in (_forge_hs256(claims, tokens.public_pem), jwt.encode(claims, None, algorithm="none")):
        response = await client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, response.text


def _forge_hs256(claims: dict, secret: str) -> str:
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = (
        f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims).encode())}"
    )
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


async def test_auth_is_checked_before_the_body(client, tokens):
    own = ministry()
    invalid = {"title": "", "team_size": 0}
    malformed = {"content": b'{"title": ', "headers": {"content-type": "application/json"}}
    manager = tokens.auth(roles=["manager"], ministry=own)

    assert (await client.post(route(own), json=invalid)).status_code == 401
    assert (await client.post(route(own), **malformed)).status_code == 401
    agent = tokens.auth(roles=["agent"], ministry=own)
    assert (await client.post(route(own), json=invalid, headers=agent)).status_code == 403
    wrong_role = {**malformed, "headers": {**malformed["headers"], **agent}}
    assert (await client.post(route(own), **wrong_role)).status_code == 403
    stranger = tokens.auth(roles=["manager"], ministry=ministry())
    assert (await client.post(route(own), json=invalid, headers=stranger)).status_code == 403
    stranger_malformed = {**malformed, "headers": {**malformed["headers"], **stranger}}
    assert (await client.post(route(own), **stranger_malformed)).status_code == 403

    response = await client.post(route(own), json=invalid, headers=manager)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    problem = response.json()
    assert {e["field"] for e in problem["errors"]} == {"title", "team_size"}
    assert all(e["in"] == "body" and e["reason"] for e in problem["errors"])

    good_malformed = {**malformed, "headers": {**malformed["headers"], **manager}}
    response = await client.post(route(own), **good_malformed)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"


async def test_parse_body_in_handler_comes_after_auth_and_state(client, tokens):
    manager = tokens.auth(roles=["manager"], ministry="dinum")
    as_json = {"Content-Type": "application/json"}
    assert (
        await client.post("/v1/ministries/dinum/notes", content=b"{oops", headers=as_json)
    ).status_code == 401
    locked = await client.post(
        "/v1/ministries/locked/notes", content=b"{oops", headers={**manager, **as_json}
    )
    assert locked.status_code == 409
    nested = await client.post(
        "/v1/ministries/dinum/notes", json={"title": "ok", "team_size": "many"}, headers=manager
    )
    assert nested.status_code == 422 and nested.json()["errors"][0]["field"] == "team_size"
    ok = await client.post(
        "/v1/ministries/dinum/notes", json={"title": "ok", "team_size": 1}, headers=manager
    )
    assert ok.status_code == 200 and ok.json() == {"title": "ok"}


async def test_principal_claims_and_optional_principal(client, tokens):
    sub = uuid.uuid4()
    headers = tokens.auth(roles=["agent", "manager"], ministry="mefsin", sub=sub, email="a@b.fr")
    me = await client.get("/v1/whoami", headers=headers)
    assert me.json() == {"sub": str(sub), "ministry": "mefsin", "roles": ["agent", "manager"]}
    assert (await client.get("/v1/public")).json() == {"caller": None}
    assert (await client.get("/v1/public", headers=headers)).json() == {"caller": str(sub)}
    assert (await client.get("/v1/public", headers={"Authorization": "Bearer nope"})).status_code == 401


@pytest.mark.parametrize("roles", [["admin"], ["agent", "funding_committee"]])
async def test_roles_outside_the_route_are_refused_whatever_the_ministry(client, tokens, roles):
    own = ministry()
    response = await client.post(route(own), json=BODY, headers=tokens.auth(roles=roles, ministry=own))
    assert response.status_code == 403


async def test_a_verified_token_is_remembered_and_its_expiry_still_applies(monkeypatch):
    from campus_service import auth
    from campus_service.errors import UnauthorizedError

    private, public = generate_keypair()
    verifier = auth.TokenVerifier(issuer="campus-dev", audience="campus", public_key_pem=public, leeway=0)
    token = mint_token(private, sub=uuid.uuid4(), roles=["agent"], ministry="mte", ttl=3600)
    checked = []
    real = verifier._verify

    async def counting(t):
        checked.append(t)
        return await real(t)

    monkeypatch.setattr(verifier, "_verify", counting)
    first = await verifier.verify(token)
    assert await verifier.verify(token) == first and len(checked) == 1  # the signature checked once

    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")  # another text: checked
    with pytest.raises(UnauthorizedError):
        await verifier.verify(forged)
    assert len(checked) == 2

    now = auth.time.time()
    monkeypatch.setattr(auth.time, "time", lambda: now + auth.VERIFIED_FOR + 1)  # remembered no more
    await verifier.verify(token)
    assert len(checked) == 3
    monkeypatch.setattr(auth.time, "time", lambda: now + 3601)  # past its expiry: refused, remembered or not
    with pytest.raises(UnauthorizedError, match="expired"):
        await verifier.verify(token)

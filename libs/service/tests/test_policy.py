"""Each route's authorisation rule as data (``x-campus-roles``, ``x-campus-scope`` in the OpenAPI
document, from its gates), and production mode: a real key or JWKS URL is required, and a token
signed by the development key is refused."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from campus_service import ServiceSettings
from campus_service.auth import Scope
from campus_service.devkeys import ensure_keypair, mint_token
from campus_service.runtime import build_verifier
from campus_service.testing import serve

from .demo import demo_app

BODY = {"title": "Former l'équipe data", "team_size": 12}


def test_the_openapi_document_carries_each_routes_rule(settings):
    doc = demo_app(settings).openapi()
    op = doc["paths"]["/v1/ministries/{ministry}/projects"]["post"]
    assert op["x-campus-roles"] == ["campus_staff", "manager"]
    assert op["x-campus-scope"]["kind"] == "path-ministry"
    assert op["x-campus-scope"]["exempt"] == ["campus_staff", "admin"]
    assert op["x-campus-scope"]["other_ministry"] == 403
    whoami = doc["paths"]["/v1/whoami"]["get"]
    assert len(whoami["x-campus-roles"]) == 5 and whoami["x-campus-scope"]["kind"] == "none"
    assert doc["paths"]["/v1/public"]["get"]["x-campus-scope"] == {
        "kind": "public",
        "rule": "no token needed",
    }
    audit = doc["paths"]["/v1/audit"]["get"]
    assert audit["x-campus-roles"] == ["admin", "campus_staff", "manager"]
    assert audit["x-campus-scope"]["decided"] == "handler"


def test_a_scope_must_be_one_of_the_documented_kinds():
    with pytest.raises(ValueError, match="unknown scope kind"):
        Scope("same-team")
    with pytest.raises(ValueError, match="unknown roles"):
        Scope("relation", exempt=("trainer",))
    with pytest.raises(ValueError, match="invalid scope"):
        Scope("relation", other_ministry=418)


@pytest.mark.parametrize("key", [None, "change-me", "  "])
def test_production_needs_a_real_key_or_jwks_url(key, tmp_path):
    ensure_keypair(tmp_path)  # development keys lying around are not a way out
    with pytest.raises(ValidationError, match="needs a real token verification key"):
        ServiceSettings(env="production", jwt_public_key=key, jwks_url=key, dev_keys_dir=tmp_path)
    unchecked = ServiceSettings.model_construct(**{**ServiceSettings().model_dump(), "env": "production"})
    with pytest.raises(RuntimeError, match="no JWT verification key"):
        build_verifier(unchecked)


async def test_a_production_service_refuses_development_tokens(database_url, nats_server, tokens, tmp_path):
    dev_private, _ = ensure_keypair(tmp_path / "keys")
    settings = ServiceSettings(
        env="production",
        service_name="demo",
        database_url=database_url,
        nats_url=nats_server.url,
        jwt_public_key=tokens.public_pem,
        dev_keys_dir=tmp_path / "keys",
        log_json=False,
    )
    own = f"m{uuid.uuid4().hex[:8]}"
    dev_token = mint_token(dev_private, sub=uuid.uuid4(), roles=["manager", "admin"], ministry=own)
    async with serve(demo_app(settings)) as client:
        refused = await client.post(
            f"/v1/ministries/{own}/projects", json=BODY, headers={"Authorization": f"Bearer {dev_token}"}
        )
        assert refused.status_code == 401, refused.text
        accepted = await client.post(
            f"/v1/ministries/{own}/projects", json=BODY, headers=tokens.auth(roles=["manager"], ministry=own)
        )
        assert accepted.status_code == 201, accepted.text

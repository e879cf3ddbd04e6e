"""Walks every route of every service's OpenAPI document: without a token, or with a forged or
expired one, every non-public /v1 route answers 401 — before looking at the body or the ids."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

pytestmark = pytest.mark.e2e

# CONTRACT.md: every /v1 route needs a token, except GET on the catalog and the seats of a session
# (and except the audit trail, GET /v1/audit, which every service has: admin, staff, managers).
PUBLIC = [
    ("catalog", "GET", re.compile(r"^(?!/v1/audit$).*")),
    ("enrollment", "GET", re.compile(r"^/v1/sessions/\{[^}]+\}/seats$")),
]


def routes(stack, with_scope: bool = False):
    for name, service in stack.services.items():
        doc = httpx.get(f"{service.url}/openapi.json", timeout=10).json()
        for path, operations in doc["paths"].items():
            if not path.startswith("/v1/"):
                continue
            for method, operation in operations.items():
                if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                    kind = operation["x-campus-scope"]["kind"]
                    yield (name, service.url, method.upper(), path) + ((kind,) if with_scope else ())


def is_public(service: str, method: str, path: str) -> bool:
    return any(s == service and m == method and rx.match(path) for s, m, rx in PUBLIC)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


def forged_tokens() -> dict[str, str]:
    stranger = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    claims = {"sub": str(uuid.uuid4()), "ministry": "dinum", "roles": ["admin", "campus_staff", "manager", "agent"],
              "iss": "campus-dev", "aud": "campus", "exp": int(time.time()) + 600}  # fmt: skip
    return {
        "bad signature": jwt.encode(claims, stranger, algorithm="ES256"),
        "not a jwt": "not-a-token",
        "alg none": jwt.encode(claims, None, algorithm="none"),
    }


def test_every_protected_route_refuses_missing_and_forged_tokens(stack):
    checked = 0
    tokens = forged_tokens()
    with httpx.Client(timeout=10) as client:
        for service, base, method, path in routes(stack):
            if is_public(service, method, path):
                continue
            url = base + concrete(path)
            body = {"json": {"garbage": True}} if method in {"POST", "PUT", "PATCH"} else {}
            response = client.request(method, url, **body)
            assert response.status_code == 401, (
                f"{service} {method} {path} without a token: {response.status_code}"
            )
            assert response.headers["content-type"].startswith("application/problem+json")
            for label, token in tokens.items():
                response = client.request(method, url, headers={"Authorization": f"Bearer {token}"}, **body)
                assert response.status_code == 401, (
                    f"{service} {method} {path} with {label}: {response.status_code}"
                )
            checked += 1
    assert checked >= 5  # the skeletons alone have none: this grows with every service's routes


def test_public_routes_answer_without_a_token(stack):
    with httpx.Client(timeout=10) as client:
        for service, base, method, path in routes(stack):
            if is_public(service, method, path) and "{" not in path and not path.endswith(".csv"):
                response = client.request(method, base + path)
                assert response.status_code == 200, f"{service} {method} {path}: {response.status_code}"


def test_the_documents_mark_exactly_the_contracts_public_routes(stack):
    disagree = [
        f"{service} {method} {path}: {kind}"
        for service, _, method, path, kind in routes(stack, with_scope=True)
        if (kind == "public") != is_public(service, method, path)
    ]
    assert disagree == []

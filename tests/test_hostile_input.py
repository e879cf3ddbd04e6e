"""Hostile input on every write route of every service, with a token holding every role: a 4xx
problem+json, never a 5xx (a short form of the fuzzing in issue 12)."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from campus_service.devkeys import mint_token

pytestmark = pytest.mark.e2e
ROLES = ["agent", "manager", "campus_staff", "funding_committee", "admin"]


def request_schema(doc: dict, operation: dict) -> dict:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = content.get("schema", {})
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def is_datetime(schema: dict) -> bool:
    return schema.get("format") == "date-time" or any(is_datetime(s) for s in schema.get("anyOf", []))


def hostile_bodies(schema: dict) -> list[bytes | list | dict]:
    properties = list(schema.get("properties", {}))
    wrong_types = {p: {"$": [1, None]} for p in properties}
    huge = {p: "x" * 100_000 for p in properties}
    negative = {p: -(10**30) for p in properties}
    deep = b"[" * 100_000 + b"]" * 100_000  # deeper than Python's recursion limit
    times = [p for p, s in schema.get("properties", {}).items() if is_datetime(s)]
    # Valid ISO instants with no UTC equivalent within years 1-9999.
    dawn = {p: "0001-01-01T00:00:00+05:00" for p in times}
    dusk = {p: "9999-12-31T23:00:00-05:00" for p in times}
    bodies = [b"{not json", b"", b"null", [], "a string", {}, wrong_types, huge, negative, deep]
    return bodies + ([dawn, dusk] if times else [])


def test_no_write_route_answers_5xx_to_hostile_bodies(stack):
    private = (stack.root / "keys" / "private.pem").read_bytes()
    token = mint_token(private, sub=str(uuid.uuid4()), roles=ROLES, ministry="dinum", ttl=600)
    auth = {"Authorization": f"Bearer {token}"}
    tried = 0
    with httpx.Client(timeout=30) as client:
        for name, service in stack.services.items():
            doc = client.get(f"{service.url}/openapi.json").json()
            for path, operations in doc["paths"].items():
                for method, operation in operations.items():
                    if method not in ("post", "patch", "put"):
                        continue
                    url = service.url + re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)
                    for body in hostile_bodies(request_schema(doc, operation)):
                        if isinstance(body, bytes):
                            response = client.request(
                                method,
                                url,
                                content=body,
                                headers={**auth, "Content-Type": "application/json"},
                            )
                        else:
                            response = client.request(method, url, json=body, headers=auth)
                        tried += 1
                        assert response.status_code < 500, (
                            f"{name} {method.upper()} {path}: {response.status_code} {response.text[:300]}"
                        )
                        if response.status_code >= 400:
                            assert response.headers["content-type"].startswith("application/problem+json"), (
                                f"{name} {method.upper()} {path}: {response.headers['content-type']}"
                            )
    assert tried > 100


def test_a_body_sent_as_anything_but_json_is_a_415_after_auth(stack):
    """A JSON body labelled text/plain or with no Content-Type, a form: 415 on every write route that takes a body (it was a
    422 about the fields' types, or taken as JSON where a route parses its own body); without a
    token, still 401 first; a route whose gate comes first (the random resource looked up, a
    trainer's registration) answers 404 or 403, as it does for any body."""
    private = (stack.root / "keys" / "private.pem").read_bytes()
    token = mint_token(private, sub=str(uuid.uuid4()), roles=ROLES, ministry="dinum", ttl=600)
    tried = []
    with httpx.Client(timeout=30) as client:
        for name, service in stack.services.items():
            doc = client.get(f"{service.url}/openapi.json").json()
            for path, operations in doc["paths"].items():
                for method, operation in operations.items():
                    if method not in ("post", "patch", "put") or "requestBody" not in operation:
                        continue
                    url = service.url + re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)
                    for media_type, body in (
                        ("text/plain", b'{"title": "x"}'),
                        ("application/x-www-form-urlencoded", b"a=1"),
                        (None, b'{"title": "x"}'),  # JSON without a Content-Type
                    ):
                        headers = {"Content-Type": media_type} if media_type else {}
                        response = client.request(method, url, content=body, headers=headers)
                        assert response.status_code == 401, (name, method, path, response.status_code)
                        headers["Authorization"] = f"Bearer {token}"
                        response = client.request(method, url, content=body, headers=headers)
                        where = f"{name} {method.upper()} {path} as {media_type}"
                        if response.status_code in (403, 404):
                            continue  # a gate (the random resource, a trainer's registration) came first
                        assert response.status_code == 415, (
                            f"{where}: {response.status_code} {response.text[:200]}"
                        )
                        assert response.headers["content-type"].startswith("application/problem+json"), where
                        said = f"sent as {media_type}" if media_type else "has no Content-Type"
                        assert said in response.json()["detail"], where
                        tried.append(where)
    assert len(tried) > 30, tried

"""The authorisation table, checked route by route on the running stack.

The routes and their rules come from the services' OpenAPI documents (``x-campus-roles``,
``x-campus-scope``, derived by the kit from each route's gates): every route is called with no
token and four kinds of bad token (401), with a token of each role (403 exactly when the table
says so), and — on real resources of ministry A — with tokens of ministry B (403 or 404 per the
table). docs/authorization.md must be what the documents generate.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from campus_service.authz_table import operations, render, service_documents
from campus_service.devkeys import generate_keypair, mint_token

ROLES = ("agent", "manager", "campus_staff", "funding_committee", "admin")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
DOC = Path(__file__).parent.parent / "docs" / "authorization.md"
A, B = f"a{uuid.uuid4().hex[:8]}", f"b{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Route:
    service: str
    base: str
    method: str
    path: str
    roles: frozenset[str]
    scope: dict[str, Any]
    query_params: frozenset[str]

    @property
    def kind(self) -> str:
        return str(self.scope["kind"])

    @property
    def exempt(self) -> frozenset[str]:
        return frozenset(self.scope.get("exempt", ()))

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{([^}]+)\}", self.path)

    def url(self, values: dict[str, str] | None = None, **query: str) -> str:
        values = values or {}
        path = re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), self.path)
        return self.base + path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")

    def __str__(self) -> str:
        return f"{self.service} {self.method} {self.path}"


def load_routes(stack) -> list[Route]:
    out = []
    for name, service in stack.services.items():
        doc = httpx.get(f"{service.url}/openapi.json", timeout=10).json()
        for method, path, op in operations(doc):
            assert "x-campus-roles" in op and "x-campus-scope" in op, f"{name} {method} {path}: no policy"
            query = frozenset(p["name"] for p in op.get("parameters", []) if p.get("in") == "query")
            out.append(Route(name, service.url, method, path, frozenset(op["x-campus-roles"]),
                             op["x-campus-scope"], query))  # fmt: skip
    return out


class Tokens:
    def __init__(self, stack) -> None:
        self.key = (stack.root / "keys" / "private.pem").read_bytes()

    def token(self, roles, ministry: str = A, sub: uuid.UUID | None = None, **claims: Any) -> str:
        return mint_token(self.key, sub=str(sub or uuid.uuid4()), roles=list(roles), ministry=ministry,
                          ttl=claims.pop("ttl", 900), **claims)  # fmt: skip

    def auth(self, *roles: str, ministry: str = A, sub: uuid.UUID | None = None, **claims: Any) -> dict:
        return {"Authorization": f"Bearer {self.token(roles, ministry, sub, **claims)}"}


def call(
    client: httpx.Client, route: Route, url: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    body = {"json": {"garbage": True}} if route.method in WRITES else {}
    return client.request(route.method, url, headers=headers or {}, **body)


def per_service(routes: list[Route], check: Callable[[httpx.Client, Route], list[str]]) -> list[str]:
    """Run ``check`` on every route, one thread per service; the failures it reports."""
    by_service: dict[str, list[Route]] = {}
    for route in routes:
        by_service.setdefault(route.service, []).append(route)

    def run(group: list[Route]) -> list[str]:
        with httpx.Client(timeout=20) as client:
            return [failure for route in group for failure in check(client, route)]

    with ThreadPoolExecutor(len(by_service)) as pool:
        return [f for failures in pool.map(run, by_service.values()) for f in failures]


def until(call_: Callable[[], httpx.Response], ok: Callable[[httpx.Response], bool], within: float = 20):
    deadline = time.monotonic() + within
    while True:
        response = call_()
        if ok(response) or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


@dataclass
class World:
    """Real resources of ministry A, and who owns them."""

    trainer: uuid.UUID  # a registered trainer (role agent)
    agent: uuid.UUID  # enrolled in a course
    manager: uuid.UUID  # opened a project and asked for its funding
    resources: dict[tuple[str, str], str]  # (service, path parameter) → a real id
    owners: dict[tuple[str, str], tuple[uuid.UUID, str]]  # → (sub, role) of who may see it


@pytest.fixture(scope="module")
def world(stack) -> World:
    tokens, url = Tokens(stack), {n: s.url for n, s in stack.services.items()}
    trainer, agent, manager = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    staff, committee = tokens.auth("campus_staff", ministry="dinum"), tokens.auth("funding_committee")
    as_trainer, as_agent = tokens.auth("agent", sub=trainer), tokens.auth("agent", sub=agent)
    as_manager = tokens.auth("manager", sub=manager)
    with httpx.Client(timeout=20) as c:
        # A webhook of ministry A first: the events below are queued for it (nothing listens there).
        r = c.post(f"{url['webhooks']}/v1/webhooks", headers=as_manager,
                   json={"url": "http://127.0.0.1:9/campus-authz", "description": "authz"})  # fmt: skip
        assert r.status_code == 201, r.text
        webhook_id = r.json()["id"]
        r = c.post(f"{url['trainers']}/v1/trainers", json={"kind": "internal", "expertise": ["data"]},
                   headers=as_trainer)  # fmt: skip
        assert r.status_code == 201, r.text
        r = c.post(f"{url['trainers']}/v1/support-requests", headers=as_trainer,
                   json={"title": "Aide", "description": "Construire un atelier"})  # fmt: skip
        assert r.status_code == 201, r.text
        support_id = r.json()["id"]
        course = {"title": "Données (authz)", "kind": "formation", "summary": "Ouvrir les données.",
                  "modality": "online", "themes": ["data"]}  # fmt: skip
        r = until(lambda: c.post(f"{url['catalog']}/v1/courses", json=course, headers=as_trainer),
                  lambda r: r.status_code != 403)  # fmt: skip
        assert r.status_code == 201, r.text
        course_id = r.json()["id"]
        assert c.post(f"{url['catalog']}/v1/courses/{course_id}/publish", headers=staff).status_code == 200
        held = {"starts_at": "2026-03-02T09:00:00Z", "ends_at": "2026-03-02T12:00:00Z", "capacity": 5,
                "join_url": "https://visio.example.org/authz", "trainer_ids": [str(trainer)]}  # fmt: skip
        r = until(lambda: c.post(f"{url['catalog']}/v1/courses/{course_id}/sessions", json=held, headers=staff),
                  lambda r: r.status_code == 201)  # fmt: skip
        assert r.status_code == 201, r.text
        session_id = r.json()["id"]
        r = until(
            lambda: c.get(f"{url['enrollment']}/v1/sessions/{session_id}/enrollments", headers=as_trainer),
            lambda r: r.status_code == 200,
        )  # the enrolment service knows the session and its trainer
        assert r.status_code == 200, r.text
        r = until(lambda: c.post(f"{url['enrollment']}/v1/enrollments", json={"course_id": course_id},
                                 headers=as_agent), lambda r: r.status_code not in (404, 409))  # fmt: skip
        assert r.status_code == 201, r.text
        enrollment_id = r.json()["id"]
        project = {"title": "Projet authz", "service": "Bureau", "team_size": 6, "expectations": "Pratique"}
        r = c.post(f"{url['projects']}/v1/projects", json=project, headers=as_manager)
        assert r.status_code == 201, r.text
        project_id = r.json()["id"]
        r = c.post(f"{url['projects']}/v1/projects/{project_id}/needs-analysis", headers=as_manager,
                   json={"findings": "Niveaux inégaux", "expectations": "Pratique", "team_culture": "Curieuse"})  # fmt: skip
        assert r.status_code == 200, r.text
        r = c.post(f"{url['projects']}/v1/projects/{project_id}/advance", json={"to_stage": "design"},
                   headers=staff)  # fmt: skip
        assert r.status_code == 200, r.text
        r = c.post(f"{url['funding']}/v1/envelopes", headers=committee, json={
            "name": "FTAP (authz)", "year": 2026, "amount_cents": 20_000_000, "min_project_cents": 2_000_000,
            "max_project_cents": 30_000_000, "max_rate": 0.5})  # fmt: skip
        assert r.status_code == 201, r.text
        ask = {"envelope_id": r.json()["id"], "project_id": project_id, "project_cost_cents": 8_000_000,
               "requested_cents": 4_000_000, "expected_satisfaction_rate": 0.9, "summary": "authz"}  # fmt: skip
        r = until(lambda: c.post(f"{url['funding']}/v1/funding-requests", json=ask, headers=as_manager),
                  lambda r: r.status_code == 201)  # fmt: skip
        assert r.status_code == 201, r.text
        request_id = r.json()["id"]
        r = until(lambda: c.get(f"{url['webhooks']}/v1/webhooks/{webhook_id}/deliveries", headers=as_manager),
                  lambda r: r.status_code == 200 and bool(r.json()["items"]))  # fmt: skip
        assert r.status_code == 200 and r.json()["items"], r.text
        delivered_event = r.json()["items"][0]["event_id"]
    return World(
        trainer=trainer,
        agent=agent,
        manager=manager,
        resources={
            ("catalog", "course_id"): course_id,
            ("enrollment", "enrollment_id"): enrollment_id,
            ("enrollment", "session_id"): session_id,
            ("projects", "project_id"): project_id,
            ("funding", "request_id"): request_id,
            ("trainers", "trainer_id"): str(trainer),
            ("trainers", "request_id"): support_id,
            ("webhooks", "webhook_id"): webhook_id,
            ("webhooks", "event_id"): delivered_event,
        },
        owners={
            ("catalog", "course_id"): (trainer, "agent"),
            ("enrollment", "enrollment_id"): (agent, "agent"),
            ("enrollment", "session_id"): (trainer, "agent"),
            ("projects", "project_id"): (manager, "manager"),
            ("funding", "request_id"): (manager, "manager"),
            ("trainers", "trainer_id"): (trainer, "agent"),
            ("trainers", "request_id"): (trainer, "agent"),
            ("webhooks", "webhook_id"): (manager, "manager"),
            ("webhooks", "event_id"): (manager, "manager"),
        },
    )


@pytest.mark.unit
def test_the_document_is_generated_from_the_code():
    assert DOC.read_text() == render(service_documents()), (
        "docs/authorization.md is stale: python -m campus_service.authz_table docs/authorization.md"
    )


@pytest.mark.e2e
def test_every_route_refuses_missing_and_bad_tokens(stack):
    tokens, routes = Tokens(stack), load_routes(stack)
    stranger, _ = generate_keypair()
    roles = list(ROLES)
    bad = {
        "no token": {},
        "expired": tokens.auth(*roles, ttl=-120),
        "another issuer": tokens.auth(*roles, issuer="https://elsewhere.example"),
        "another audience": tokens.auth(*roles, audience="another-app"),
        "bad signature": {"Authorization": "Bearer " + mint_token(stranger, sub=uuid.uuid4(), roles=roles)},
    }

    def check(client: httpx.Client, route: Route) -> list[str]:
        if route.kind == "public":
            return []
        failures = []
        for label, headers in bad.items():
            r = call(client, route, route.url(), headers)
            if r.status_code != 401 or not r.headers["content-type"].startswith("application/problem+json"):
                failures.append(f"{route} with {label}: {r.status_code}")
        return failures

    assert per_service(routes, check) == []
    assert sum(r.kind != "public" for r in routes) >= 60


@pytest.mark.e2e
def test_each_role_gets_what_the_table_says(stack, world):
    tokens, routes = Tokens(stack), load_routes(stack)

    def check(client: httpx.Client, route: Route) -> list[str]:
        failures = []
        query = {"ministry": A} if "ministry" in route.query_params else {}
        for role in ROLES:
            sub = uuid.uuid4()
            values = {p: str(sub) for p in route.params} if route.kind == "self" else {}
            r = call(client, route, route.url(values, **query), tokens.auth(role, sub=sub))
            allowed = role in route.roles and (route.kind != "registered-trainer" or role in route.exempt)
            if (allowed and r.status_code in (401, 403)) or (not allowed and r.status_code != 403):
                failures.append(f"{route} as {role}: {r.status_code} ({'allowed' if allowed else 'refused'})")
            if route.kind == "registered-trainer" and role in route.roles:
                r = call(client, route, route.url(**query), tokens.auth(role, sub=world.trainer))
                if r.status_code in (401, 403):
                    failures.append(f"{route} as a registered trainer ({role}): {r.status_code}")
        if route.kind == "public":
            r = call(client, route, route.url(**query))
            if r.status_code in (401, 403):
                failures.append(f"{route} without a token: {r.status_code}")
        return failures

    assert per_service(routes, check) == []


@pytest.mark.e2e
def test_another_ministry_is_refused_on_real_resources(stack, world):
    tokens, routes = Tokens(stack), load_routes(stack)
    uncovered: list[str] = []
    scoped = [r for r in routes if r.kind in ("resource-ministry", "relation", "self", "token-ministry")]

    def check(client: httpx.Client, route: Route) -> list[str]:
        failures = []
        if route.kind == "token-ministry":
            if "ministry" in route.query_params:  # asking for another ministry's data outright
                for role in route.roles - route.exempt:
                    r = call(client, route, route.url(ministry=A), tokens.auth(role, ministry=B))
                    if r.status_code != 403:
                        failures.append(f"{route}?ministry={A} as {role} of {B}: {r.status_code}")
            return failures
        keys = [(route.service, p) for p in route.params]
        if not keys:
            return failures
        if not all(k in world.resources for k in keys):
            uncovered.append(str(route))
            return failures
        values = {p: world.resources[(route.service, p)] for p in route.params}
        other = route.scope.get("other_ministry")
        expected = {other} if other else {403, 404}
        for role in route.roles - route.exempt:
            r = call(client, route, route.url(values), tokens.auth(role, ministry=B))
            if r.status_code not in expected:
                failures.append(
                    f"{route} on {A}'s resource as {role} of {B}: {r.status_code}, not {expected}"
                )
        if route.method == "GET":  # the resource is real: its owner and the exempt roles do see it
            owner, owner_role = world.owners[keys[0]]
            callers = [tokens.auth(owner_role, sub=owner)] if owner_role in route.roles else []
            callers += [tokens.auth(role, ministry="dinum") for role in route.exempt & route.roles]
            for headers in callers:
                r = call(client, route, route.url(values), headers)
                if r.status_code in (401, 403, 404):
                    failures.append(f"{route} on {A}'s resource, allowed caller: {r.status_code}")
        return failures

    assert per_service(scoped, check) == []
    assert uncovered == [], f"scoped routes without a real resource to try: {uncovered}"
    assert len(scoped) >= 20


@pytest.mark.e2e
def test_lists_leave_out_another_ministrys_data(stack, world):
    tokens, url = Tokens(stack), {n: s.url for n, s in stack.services.items()}
    request_id = world.resources[("funding", "request_id")]
    project_id = world.resources[("projects", "project_id")]
    with httpx.Client(timeout=20) as c:
        own = c.get(f"{url['funding']}/v1/funding-requests?limit=500", headers=tokens.auth("manager"))
        other = c.get(
            f"{url['funding']}/v1/funding-requests?limit=500", headers=tokens.auth("manager", ministry=B)
        )
        assert request_id in {i["id"] for i in own.json()["items"]}
        assert other.status_code == 200 and request_id not in {i["id"] for i in other.json()["items"]}
        own = c.get(f"{url['projects']}/v1/projects?limit=500", headers=tokens.auth("manager"))
        other = c.get(f"{url['projects']}/v1/projects?limit=500", headers=tokens.auth("manager", ministry=B))
        assert project_id in {i["id"] for i in own.json()["items"]}
        assert other.status_code == 200 and project_id not in {i["id"] for i in other.json()["items"]}
        # A manager enrols only agents of their own ministry (issue #7: 403 for another's).
        course_id = world.resources[("catalog", "course_id")]
        r = c.post(f"{url['enrollment']}/v1/enrollments", headers=tokens.auth("manager", ministry=B),
                   json={"course_id": course_id, "agent_id": str(world.agent)})  # fmt: skip
        assert r.status_code == 403, r.text

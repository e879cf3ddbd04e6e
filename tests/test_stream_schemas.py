"""After a full scenario through the five running services, every message of every stream is a
valid CloudEvent of the published contract: its ``data`` validates against
``docs/schemas/<Type>.v<N>.json``, the whole message against its message in ``docs/asyncapi.yaml``,
and its attributes agree with its NATS subject and headers. The scenario produces every event type
of the registry; each service serves the schemas and the AsyncAPI document of its own context."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from nats.aio.client import Client as NATS
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from campus_events import bus
from campus_events.asyncapi import asyncapi_document, to_yaml
from campus_events.registry import CONTEXTS, PUBLIC, registry, stream_for_context
from campus_service.devkeys import mint_token
from campus_service.testing import eventually

pytestmark = pytest.mark.e2e

DOCS = Path(__file__).resolve().parents[1] / "docs"
TYPE = re.compile(r"^fr\.gouv\.campus\.(?P<context>[a-z]+)\.(?P<type>[A-Za-z]+)\.v(?P<version>\d+)$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# Event types the scenario does not produce, with the reason. Empty: it produces them all.
NOT_PRODUCED: dict[str, str] = {}
# Event-store streams other than `<aggregate>-<id>` (docs/asyncapi.yaml, `campusstream`).
STREAM_PREFIXES = {"enrollment": {"enrollment", "session"}}
# Messages other tests of this session put on the shared stack's streams on purpose.
KNOWN_POISON = {
    ("campus.catalog.public.course.CourseProposed", b"{poison"): "tests/test_stack.py: dead-letter test",
}


class Scenario:
    """HTTP calls to the running services, as the people of the Campus make them."""

    def __init__(self, stack: Any, http: httpx.AsyncClient) -> None:
        self.stack, self.http = stack, http
        self.key = (stack.root / "keys" / "private.pem").read_bytes()
        self.ministry = f"m{uuid.uuid4().hex[:8]}"

    def auth(self, *roles: str, sub: uuid.UUID | None = None, ministry: str | None = None) -> dict[str, str]:
        token = mint_token(
            self.key, sub=str(sub or uuid.uuid4()), roles=list(roles), ministry=ministry or self.ministry
        )
        return {"Authorization": f"Bearer {token}"}

    async def call(
        self, method: str, service: str, path: str, headers: dict[str, str], /, **body: Any
    ) -> Any:
        """One call that must succeed at once (2xx)."""
        url = self.stack.services[service].url + path
        response = await self.http.request(method, url, headers=headers, json=body or None)
        assert response.is_success, (method, path, response.status_code, response.text)
        return response.json()

    async def once_known(
        self, method: str, service: str, path: str, headers: dict[str, str], /, **body: Any
    ) -> Any:
        """A call that succeeds once the service's projections have caught up with other services."""
        url = self.stack.services[service].url + path

        async def attempt() -> Any:
            response = await self.http.request(method, url, headers=headers, json=body or None)
            if response.is_success:
                return response.json()
            assert response.status_code in (403, 404, 409, 422), (path, response.status_code, response.text)
            return None

        return await eventually(attempt, within=20, interval=0.1)


async def run_scenario(s: Scenario) -> None:
    staff, committee = s.auth("campus_staff"), s.auth("funding_committee")
    manager = s.auth("manager")
    trainer_id, a1_id, a2_id, leaver_id = (uuid.uuid4() for _ in range(4))
    trainer, a1, a2 = s.auth("agent", sub=trainer_id), s.auth("agent", sub=a1_id), s.auth("agent", sub=a2_id)
    leaver = s.auth("agent", sub=leaver_id)

    # Trainers: registration, profile, ideas, support, activities, a withdrawal.
    await s.call("POST", "trainers", "/v1/trainers", trainer, kind="internal", expertise=["data"])
    await s.call(
        "PATCH", "trainers", f"/v1/trainers/{trainer_id}", trainer, expertise=["data", "cybersecurite"]
    )
    await s.call("POST", "trainers", "/v1/trainers", leaver, kind="internal", expertise=["cybersecurite"])
    await s.call("POST", "trainers", f"/v1/trainers/{leaver_id}/withdraw", leaver, reason="mutation")
    idea = await s.call("POST", "trainers", "/v1/ideas", a1, title="Atelier SQL", description="Pour débuter")
    await s.call("POST", "trainers", f"/v1/ideas/{idea['id']}/support", a2)
    support = await s.call(
        "POST",
        "trainers",
        "/v1/support-requests",
        trainer,
        title="Scénariser",
        description="Aide au scénario",
    )
    await s.call(
        "POST", "trainers", f"/v1/support-requests/{support['id']}/resolve", staff, resolution="Accompagnée"
    )
    today = datetime.now(UTC).date().isoformat()
    await s.call(
        "POST",
        "trainers",
        f"/v1/trainers/{trainer_id}/activities",
        trainer,
        kind="face_to_face",
        day=today,
        hours=2,
    )

    # Catalog: courses through every status, sessions, a learning path.
    course = {
        "kind": "formation",
        "summary": "Donnée de démonstration",
        "modality": "online",
        "themes": ["data"],
    }
    c1 = await s.once_known("POST", "catalog", "/v1/courses", trainer, title="SQL pour tous (e2e)", **course)
    await s.call("PATCH", "catalog", f"/v1/courses/{c1['id']}", trainer, summary="Requêtes simples")
    await s.call("POST", "catalog", f"/v1/courses/{c1['id']}/publish", staff)
    c2 = await s.call("POST", "catalog", "/v1/courses", staff, title="Cours refusé (e2e)", **course)
    await s.call("POST", "catalog", f"/v1/courses/{c2['id']}/reject", staff, reason="Doublon")
    c3 = await s.call("POST", "catalog", "/v1/courses", staff, title="Cours archivé (e2e)", **course)
    await s.call("POST", "catalog", f"/v1/courses/{c3['id']}/publish", staff)
    await s.call("POST", "catalog", f"/v1/courses/{c3['id']}/archive", staff)
    session = {
        "starts_at": "2027-03-01T09:00:00Z",
        "ends_at": "2027-03-01T12:00:00Z",
        "join_url": "https://visio.example.org/e2e",
    }
    s1 = await s.once_known(
        "POST",
        "catalog",
        f"/v1/courses/{c1['id']}/sessions",
        staff,
        capacity=1,
        trainer_ids=[str(trainer_id)],
        **session,
    )
    s2 = await s.call("POST", "catalog", f"/v1/courses/{c1['id']}/sessions", staff, capacity=5, **session)
    await s.call("POST", "catalog", f"/v1/sessions/{s2['id']}/cancel", staff)
    path = await s.call(
        "POST", "catalog", "/v1/learning-paths", staff, title="Parcours data (e2e)", course_ids=[c1["id"]]
    )
    await s.call("POST", "catalog", f"/v1/learning-paths/{path['id']}/publish", staff)

    # Enrollment: enrolled, waitlisted, promoted when a seat opens, cancelled, completed, rated.
    seat = {"course_id": c1["id"], "session_id": s1["id"]}
    e1 = await s.once_known("POST", "enrollment", "/v1/enrollments", a1, **seat)
    e2 = await s.call("POST", "enrollment", "/v1/enrollments", a2, **seat)
    assert (e1["status"], e2["status"]) == ("enrolled", "waitlisted")
    await s.call(
        "PATCH",
        "catalog",
        f"/v1/sessions/{s1['id']}",
        staff,
        starts_at="2026-03-02T09:00:00Z",  # held already: its enrolments can be completed
        ends_at="2026-03-02T12:00:00Z",
    )
    await s.call("PATCH", "catalog", f"/v1/sessions/{s1['id']}", staff, capacity=2)

    async def promoted() -> bool:
        url = f"{s.stack.services['enrollment'].url}/v1/enrollments/{e2['id']}"
        shown = await s.http.get(url, headers=a2)  # the read model follows the events: 404 at first
        return shown.status_code == 200 and shown.json()["status"] == "enrolled"

    await eventually(promoted, within=20, interval=0.1)
    await s.once_known("POST", "enrollment", f"/v1/enrollments/{e2['id']}/cancel", a2)
    await s.once_known("POST", "enrollment", f"/v1/enrollments/{e1['id']}/complete", staff)
    await s.once_known(
        "POST", "enrollment", f"/v1/enrollments/{e1['id']}/rating", a1, score=5, comment="Très clair"
    )

    # Projects through every stage (one abandoned), and FTAP funding through every decision.
    envelope = await s.call(
        "POST", "funding", "/v1/envelopes", committee, name="FTAP (e2e schemas)", year=2026,
        amount_cents=100_000_000, min_project_cents=2_000_000, max_project_cents=30_000_000, max_rate=0.5,
    )  # fmt: skip
    projects = [await open_designed_project(s, manager, staff) for _ in range(3)]
    request = {
        "envelope_id": envelope["id"],
        "project_cost_cents": 4_000_000,
        "requested_cents": 2_000_000,
        "expected_satisfaction_rate": 0.8,
        "summary": "Montée en compétence data",
    }
    requests = [
        await s.once_known("POST", "funding", "/v1/funding-requests", manager, project_id=p, **request)
        for p in projects
    ]
    approved, rejected, dismissed = (f"/v1/funding-requests/{r['id']}" for r in requests)
    await s.call("POST", "funding", f"{approved}/start-review", committee)
    await s.call("POST", "funding", f"{approved}/approve", committee, granted_cents=1_800_000)
    await s.call("POST", "funding", f"{approved}/disbursements", committee, amount_cents=1_000_000)
    await s.call("POST", "funding", f"{approved}/release", committee)
    await s.call("POST", "funding", f"{rejected}/start-review", committee)
    await s.call("POST", "funding", f"{rejected}/reject", committee, motivation="Hors critères")
    await s.call("POST", "funding", f"{dismissed}/dismiss", committee, motivation="Demande en double")

    done, abandoned = f"/v1/projects/{projects[0]}", f"/v1/projects/{projects[1]}"
    await s.call("POST", "projects", f"{done}/advance", staff, to_stage="implementation")
    await s.call(
        "POST",
        "projects",
        f"{done}/implementation",
        staff,
        sessions_delivered=2,
        participants=14,
        modality="hybrid",
    )
    await s.call("POST", "projects", f"{done}/advance", staff, to_stage="evaluation")
    await s.call(
        "POST", "projects", f"{done}/evaluation", staff, satisfaction_rate=0.9, savings_cents=500_000,
        indicators=[{"profile": "analystes", "agents_targeted": 10, "agents_reached": 9}],
    )  # fmt: skip
    await s.call("POST", "projects", f"{done}/advance", staff, to_stage="closed")
    await s.call("POST", "projects", f"{abandoned}/abandon", manager, reason="Réorganisation du service")


async def open_designed_project(s: Scenario, manager: dict[str, str], staff: dict[str, str]) -> str:
    project = await s.call(
        "POST", "projects", "/v1/projects", manager, title="Data au bureau (e2e)", service="Études",
        team_size=12, expectations="Savoir interroger une base",
    )  # fmt: skip
    path = f"/v1/projects/{project['id']}"
    await s.call(
        "POST", "projects", f"{path}/needs-analysis", staff, findings="Niveaux inégaux", expectations="Pratique",
        team_culture="Curieuse",
    )  # fmt: skip
    await s.call("POST", "projects", f"{path}/advance", staff, to_stage="design")
    await s.call(
        "POST", "projects", f"{path}/design", staff, content_production="Cas d'usage", estimated_cost_cents=4_000_000,
        funding_intent="ftap", modules=[{"title": "Atelier", "modality": "in_person", "duration_minutes": 240}],
    )  # fmt: skip
    return str(project["id"])


async def every_message(nc: NATS, stream: str) -> list[Any]:
    """Every message of ``stream`` (subject, headers, data), read with a throw-away consumer."""
    js = nc.jetstream()
    name = f"schemas-{uuid.uuid4().hex[:10]}"
    config = ConsumerConfig(
        name=name, deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE, inactive_threshold=30
    )
    await js.add_consumer(stream, config)
    sub = await js.pull_subscribe_bind(durable=name, stream=stream)
    total = (await js.stream_info(stream)).state.messages
    messages: list[Any] = []
    try:
        while len(messages) < total:
            try:
                messages += await sub.fetch(500, timeout=2.0)
            except NatsTimeoutError:
                break
    finally:
        await sub.unsubscribe()
        await js.delete_consumer(stream, name)
    assert len(messages) == total, f"{stream}: read {len(messages)} of {total}"
    return messages


def event_type_of(msg: Any) -> str | None:
    if (msg.subject, msg.data) in KNOWN_POISON:
        return None
    try:
        match = TYPE.match(str(json.loads(msg.data).get("type", "")))
    except (ValueError, AttributeError):
        return None
    return match["type"] if match else None


def message_validators() -> dict[str, Draft202012Validator]:
    """The published AsyncAPI document's payload schema of each CloudEvents type."""
    document = yaml.safe_load((DOCS / "asyncapi.yaml").read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    validators = {}
    for message in document["components"]["messages"].values():
        payload = json.loads(
            json.dumps({**message["payload"], "$defs": schemas}).replace("#/components/schemas/", "#/$defs/")
        )
        validators[payload["properties"]["type"]["const"]] = Draft202012Validator(payload)
    return validators


def problems_of(context: str, msg: Any, validators: dict[str, Draft202012Validator]) -> list[str]:
    """Everything wrong with one message of ``CAMPUS_<context>``; empty when it is valid."""
    try:
        ce = json.loads(msg.data)
    except ValueError:
        return [f"not JSON: {msg.data[:80]!r}"]
    match = TYPE.match(str(ce.get("type", "")))
    if match is None:
        return [f"not a Campus CloudEvents type: {ce.get('type')!r}"]
    event_type, version = match["type"], int(match["version"])
    path = DOCS / "schemas" / f"{event_type}.v{version}.json"
    if not path.exists():
        return [f"no published schema {path.name}"]
    schema = json.loads(path.read_text(encoding="utf-8"))
    errors = [f"data: {e.message}" for e in Draft202012Validator(schema).iter_errors(ce["data"])]
    errors += [f"message: {e.message}" for e in validators[ce["type"]].iter_errors(ce)]
    scope, aggregate = ce["campusministry"], schema["x-campus-aggregate"]
    stream_prefix = ce["campusstream"].split("-", 1)[0]
    if stream_prefix not in STREAM_PREFIXES.get(aggregate, {aggregate}):
        stream_prefix = aggregate  # reported as a mismatch below
    expected = {
        "context": (match["context"], context),
        "source": (ce["source"], f"/campus/{context}"),
        "dataschema": (ce["dataschema"], f"/schemas/{event_type}.v{version}.json"),
        "$id": (schema["$id"], ce["dataschema"]),
        "nats subject": (msg.subject, f"campus.{context}.{scope}.{aggregate}.{event_type}"),
        "campusstream": (ce["campusstream"].split("-", 1), [stream_prefix, ce["subject"]]),
        "scope": (scope == PUBLIC, schema["x-campus-public"]),
        "Nats-Msg-Id": ((msg.headers or {}).get("Nats-Msg-Id"), ce["id"]),
        "id": (bool(UUID.match(ce["id"])), True),
    }
    return errors + [f"{name}: {got!r} != {want!r}" for name, (got, want) in expected.items() if got != want]


async def test_every_message_of_every_stream_matches_its_published_schema(stack):
    async with httpx.AsyncClient(timeout=15) as http:
        await run_scenario(Scenario(stack, http))

    nc = await bus.connect(stack.operator_nats_url(), name="stream-schemas")
    try:
        wanted = {m.type_name() for m in registry} - set(NOT_PRODUCED)

        missing: set[str] = set()

        async def all_types_published() -> dict[str, list[Any]] | None:
            found = {c: await every_message(nc, stream_for_context(c)) for c in CONTEXTS}
            missing.clear()
            missing.update(wanted - {event_type_of(m) for messages in found.values() for m in messages})
            return None if missing else found

        try:
            streams = await eventually(all_types_published, within=30, interval=0.5)
        except AssertionError:
            raise AssertionError(f"never published: {sorted(missing)}") from None
    finally:
        await nc.close()

    validators, seen, checked, invalid = message_validators(), set(), 0, []
    for context, messages in streams.items():
        for msg in messages:
            if (msg.subject, msg.data) in KNOWN_POISON:
                continue
            problems = problems_of(context, msg, validators)
            invalid += [f"{msg.subject} #{msg.metadata.sequence.stream}: {p}" for p in problems]
            seen.add(event_type_of(msg))
            checked += 1
    assert invalid == [], "\n".join(invalid[:50])
    assert checked >= len(registry)
    assert seen >= {m.type_name() for m in registry} - set(NOT_PRODUCED)
    assert not set(NOT_PRODUCED) - {m.type_name() for m in registry}, "NOT_PRODUCED names an unknown type"


async def test_each_running_service_serves_its_contract_and_every_dataschema_resolves(stack):
    async with httpx.AsyncClient(timeout=15) as http:
        for name, service in stack.services.items():
            document = await http.get(f"{service.url}/asyncapi.yaml")
            assert document.status_code == 200, name
            assert document.text == to_yaml(asyncapi_document([name])), name
            etag = document.headers["etag"]
            assert (
                await http.get(f"{service.url}/asyncapi.yaml", headers={"If-None-Match": etag})
            ).status_code == 304
            listing = (await http.get(f"{service.url}/schemas/")).json()
            assert {s["type"] for s in listing["schemas"]} == {
                m.type_name() for m in registry.by_context(name)
            }
            for entry in listing["schemas"]:
                served = await http.get(service.url + entry["url"])  # what a dataschema attribute names
                published = DOCS / "schemas" / f"{entry['type']}.v{entry['version']}.json"
                assert served.text == published.read_text(encoding="utf-8"), entry["url"]
            missing = await http.get(f"{service.url}/schemas/NoSuchEvent.v1.json")
            assert missing.status_code == 404
            assert missing.headers["content-type"].startswith("application/problem+json")

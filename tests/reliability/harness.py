"""The shared harness of the reliability scenarios (issue 12).

* ``running_stack`` — a Stack of this module's own (free ports, fsync off), stopped afterwards.
* ``Load`` — a mixed command load on the five services: course proposals (catalog), enrolments and
  cancellations (enrollment), project advances (projects), funding requests and decisions
  (funding), trainer registrations (trainers). Every command carries an ``Idempotency-Key`` and an
  ``X-Correlation-Id`` of its own and is retried with them while the service is away, so each 2xx
  answer is *one* accepted command; every answer is recorded.
* The checks: each accepted command's events are in its service's store exactly once; every store
  event is in JetStream exactly once (by ``Nats-Msg-Id`` = CloudEvent id) and the stream holds
  nothing else; the projections converge (outboxes empty, every durable consumer acked to the end)
  and equal a rebuild from scratch; no envelope over-reserved, no session over capacity.

The rebuild: every projection that declares its tables is replayed from its JetStream stream by
``campus_events.replay`` (the projection's own code, into shadow tables swapped in, the live
tables kept) and compared row for row with the live tables it replaced, ignoring only the columns
the database fills in itself (serial ``seq``, ``now()`` timestamps). The projections that issue
commands (enrollment's ``enrollment-catalog`` and ``enrollment-enrollments``) cannot be replayed;
the enrolments table is compared with the statuses recomputed from the enrollment store instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from campus_devstack.stack import SERVICES, Stack
from campus_events import bus
from campus_service.devkeys import mint_token
from campus_service.testing import eventually

CONTEXTS = ("catalog", "enrollment", "projects", "funding", "trainers")
SOAK = os.environ.get("CAMPUS_SOAK") == "1"
RETRY_STATUSES = {502, 503, 504}
ENVELOPE_CENTS = 40_000_000  # small enough for the load to exhaust it: approvals then answer 409/422


def short_or_soak(short: float, soak: float) -> float:
    return soak if SOAK else short


@contextlib.contextmanager
def running_stack(root: Path, *, extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    """The services (all of SERVICES: an extra one is tolerated) on free ports, with NATS and PostgreSQL."""
    with Stack.on_free_ports(root, SERVICES, extra_env=extra_env).running() as stack:
        yield stack


class Tokens:
    def __init__(self, stack: Stack) -> None:
        self.private = (stack.root / "keys" / "private.pem").read_bytes()

    def auth(self, *roles: str, ministry: str = "dinum", sub: uuid.UUID | None = None) -> dict[str, str]:
        token = mint_token(
            self.private, sub=str(sub or uuid.uuid4()), roles=list(roles), ministry=ministry, ttl=3600
        )
        return {"Authorization": f"Bearer {token}"}


RESTART_READY_SECONDS = 120  # how long a restarted service may take to be ready again


@dataclass
class Answer:
    """One command as the client saw it in the end (after retries with the same key)."""

    service: str
    kind: str
    path: str
    status: int  # 0: no answer at all within the command's patience
    correlation: str
    body: Any
    at: float
    seconds: float
    attempts: int


@dataclass
class Load:
    """A mixed command load. ``urls(service)`` lists the instances to spread requests over."""

    stack: Stack
    tokens: Tokens
    # How long one command is retried (same key) while its service is away: longer than a restart
    # may take (RESTART_READY_SECONDS), so that a slow restart is not counted as a lost answer.
    patience: float = RESTART_READY_SECONDS + 30
    answers: list[Answer] = field(default_factory=list)
    sessions: list[tuple[str, str, int]] = field(default_factory=list)  # course, session, capacity
    envelope_id: str = ""
    ministry: str = field(default_factory=lambda: f"m{uuid.uuid4().hex[:8]}")
    stopping: bool = False

    def urls(self, service: str) -> list[str]:
        primary = self.stack.services[service]
        alive = [
            r.url
            for r in [primary, *self.stack.replicas.get(service, [])]
            if r.process is not None and r.process.poll() is None
        ]
        return alive or [primary.url]

    @property
    def accepted(self) -> list[Answer]:
        return [a for a in self.answers if 200 <= a.status < 300]

    def statuses(self) -> Counter[tuple[str, int]]:
        return Counter((a.kind, a.status) for a in self.answers)

    async def command(
        self,
        http: httpx.AsyncClient,
        service: str,
        kind: str,
        path: str,
        headers: dict[str, str],
        body: Any = None,
    ) -> Answer:
        correlation = str(uuid.uuid4())
        headers = {**headers, "Idempotency-Key": f"rel-{correlation}", "X-Correlation-Id": correlation}
        started = time.monotonic()
        attempts, status, payload = 0, 0, None
        while True:
            attempts += 1
            url = random.choice(self.urls(service)) + path
            try:
                response = await http.post(url, json=body, headers=headers)
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code not in RETRY_STATUSES:
                status = response.status_code
                with contextlib.suppress(ValueError):
                    payload = response.json()
                break
            if time.monotonic() - started > self.patience:
                status = response.status_code if response is not None else 0
                break
            await asyncio.sleep(0.2)
        answer = Answer(
            service,
            kind,
            path,
            status,
            correlation,
            payload,
            time.time(),
            time.monotonic() - started,
            attempts,
        )
        self.answers.append(answer)
        return answer

    # -- set-up: an envelope and sessions the enrollment service already knows ------------------

    async def setup(self, http: httpx.AsyncClient, sessions: int = 6, capacity: int = 4) -> None:
        committee = self.tokens.auth("funding_committee")
        envelope = await self.command(
            http,
            "funding",
            "open-envelope",
            "/v1/envelopes",
            committee,
            {
                "name": "FTAP (fiabilité)",
                "year": 2026,
                "amount_cents": ENVELOPE_CENTS,
                "min_project_cents": 2_000_000,
                "max_project_cents": 30_000_000,
                "max_rate": 0.5,
            },
        )
        assert envelope.status == 201, envelope
        self.envelope_id = envelope.body["id"]
        for _ in range(sessions):
            made = await self.course_with_session(http, capacity)
            assert made is not None, self.statuses()
            self.sessions.append(made)
        enrollment = self.urls("enrollment")[0]

        async def known() -> bool:
            for _, session_id, _ in self.sessions:
                r = await http.get(f"{enrollment}/v1/sessions/{session_id}/seats")
                if r.status_code != 200:
                    return False
            return True

        await eventually(known, within=30)

    async def course_with_session(
        self, http: httpx.AsyncClient, capacity: int
    ) -> tuple[str, str, int] | None:
        staff = self.tokens.auth("campus_staff")
        course = await self.command(
            http,
            "catalog",
            "propose-course",
            "/v1/courses",
            staff,
            {
                "title": f"Fiabilité {uuid.uuid4().hex[:8]}",
                "kind": "formation",
                "summary": "Donnée de test de fiabilité",
                "modality": "online",
                "themes": ["data"],
                "pace": "scheduled",
            },
        )
        if course.status != 201:
            return None
        course_id = course.body["id"]
        published = await self.command(
            http, "catalog", "publish-course", f"/v1/courses/{course_id}/publish", staff
        )
        if published.status != 200:
            return None
        session = await self.command(
            http,
            "catalog",
            "schedule-session",
            f"/v1/courses/{course_id}/sessions",
            staff,
            {
                "starts_at": "2027-03-01T09:00:00Z",
                "ends_at": "2027-03-01T12:00:00Z",
                "capacity": capacity,
                "join_url": "https://visio.example.org/fiabilite",
            },
        )
        if session.status != 201:
            return None
        return course_id, session.body["id"], capacity

    # -- the workers -----------------------------------------------------------------------------

    async def enrol_once(self, http: httpx.AsyncClient) -> None:
        course_id, session_id, _ = random.choice(self.sessions)
        agent = uuid.uuid4()
        headers = self.tokens.auth("agent", sub=agent)
        made = await self.command(
            http,
            "enrollment",
            "enrol",
            "/v1/enrollments",
            headers,
            {"course_id": course_id, "session_id": session_id},
        )
        if made.status == 201 and random.random() < 0.3:
            await self.command(
                http, "enrollment", "cancel-enrolment", f"/v1/enrollments/{made.body['id']}/cancel", headers
            )

    async def propose_once(self, http: httpx.AsyncClient) -> None:
        await self.course_with_session(http, capacity=3)

    async def register_trainer_once(self, http: httpx.AsyncClient) -> None:
        headers = self.tokens.auth("agent", ministry="mefsin")
        await self.command(
            http,
            "trainers",
            "register-trainer",
            "/v1/trainers",
            headers,
            {"kind": "internal", "expertise": ["data"]},
        )

    async def project_and_funding_once(self, http: httpx.AsyncClient) -> None:
        manager = self.tokens.auth("manager", ministry=self.ministry)
        staff, committee = self.tokens.auth("campus_staff"), self.tokens.auth("funding_committee")
        opened = await self.command(
            http,
            "projects",
            "open-project",
            "/v1/projects",
            manager,
            {
                "title": "Fiabilité",
                "service": "Bureau test",
                "team_size": 8,
                "expectations": "Tenir la charge",
            },
        )
        if opened.status != 201:
            return
        pid = opened.body["id"]
        steps = [
            (
                "needs-analysis",
                {"findings": "Inégaux", "expectations": "Pratique", "team_culture": "Curieuse"},
            ),
            ("advance", {"to_stage": "design"}),
            (
                "design",
                {
                    "modules": [{"title": "Atelier", "modality": "in_person", "duration_minutes": 240}],
                    "content_production": "Cas d'usage",
                    "estimated_cost_cents": 8_000_000,
                    "funding_intent": "ftap",
                },
            ),
        ]
        for step, body in steps:
            done = await self.command(
                http, "projects", f"project-{step}", f"/v1/projects/{pid}/{step}", staff, body
            )
            if done.status != 200:
                return
        request_body = {
            "project_id": pid,
            "envelope_id": self.envelope_id,
            "project_cost_cents": 8_000_000,
            "requested_cents": 4_000_000,
            "expected_satisfaction_rate": 0.8,
            "summary": "Fiabilité",
        }
        deadline = time.monotonic() + 30
        while True:  # the funding service learns of the design asynchronously: 409 meanwhile
            requested = await self.command(
                http, "funding", "request-funding", "/v1/funding-requests", manager, request_body
            )
            if requested.status != 409 or time.monotonic() > deadline or self.stopping:
                break
            await asyncio.sleep(0.3)
        if requested.status != 201:
            return
        rid = requested.body["id"]
        review = await self.command(
            http, "funding", "start-review", f"/v1/funding-requests/{rid}/start-review", committee
        )
        if review.status != 200:
            return
        await self.command(
            http,
            "funding",
            "approve-funding",
            f"/v1/funding-requests/{rid}/approve",
            committee,
            {"granted_cents": 4_000_000},
        )

    async def run(self, seconds: float, *, enrollers: int = 6, others: int = 1) -> None:
        """Each kind of worker loops until ``seconds`` have passed or ``stop()`` (a started workflow
        finishes)."""
        deadline = time.monotonic() + seconds
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        async with httpx.AsyncClient(timeout=15, limits=limits) as http:

            async def loop(step: Any) -> None:
                while time.monotonic() < deadline and not self.stopping:
                    await step(http)

            workers = [loop(self.enrol_once) for _ in range(enrollers)]
            for step in (self.propose_once, self.register_trainer_once, self.project_and_funding_once):
                workers += [loop(step) for _ in range(others)]
            await asyncio.gather(*workers)
        self.stopping = True

    def stop(self) -> None:
        """The workers finish the workflow they are in and stop."""
        self.stopping = True


# -- the checks ------------------------------------------------------------------------------------


async def fetch(stack: Stack, service: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.database_url(service))
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def store_events(stack: Stack, service: str) -> list[asyncpg.Record]:
    return await fetch(
        stack,
        service,
        "SELECT position, event_id, stream, version, type, correlation_id, data::text AS data FROM events"
        " ORDER BY position",
    )


def check_accepted_commands_stored_once(load: Load, events: dict[str, list[asyncpg.Record]]) -> int:
    """Every 2xx answer has events in its service's store, none of them twice; returns how many."""
    by_correlation: dict[tuple[str, str], list[asyncpg.Record]] = defaultdict(list)
    for service, rows in events.items():
        for row in rows:
            if row["correlation_id"] is not None:
                by_correlation[(service, str(row["correlation_id"]))].append(row)
    missing, doubled = [], []
    for answer in load.accepted:
        rows = by_correlation.get((answer.service, answer.correlation), [])
        if not rows:
            missing.append(answer)
        kinds = Counter((r["type"], r["stream"]) for r in rows)
        if any(n > 1 for n in kinds.values()):
            doubled.append((answer, kinds))
    assert not missing, f"{len(missing)} accepted commands have no event: {missing[:3]}"
    assert not doubled, f"{len(doubled)} accepted commands have events twice: {doubled[:3]}"
    return len(load.accepted)


async def stream_message_ids(nc: Any, stream: str) -> Counter[str]:
    """``Nats-Msg-Id`` of every message of ``stream`` (an ephemeral consumer, no acks)."""
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    js = nc.jetstream()
    info = await js.stream_info(stream)
    last = info.state.last_seq
    ids: Counter[str] = Counter()
    if not info.state.messages:
        return ids
    sub = await js.pull_subscribe(
        "",
        stream=stream,
        config=ConsumerConfig(
            deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE, inactive_threshold=30
        ),
    )
    try:
        seen_seq = 0
        while seen_seq < last:
            for msg in await sub.fetch(1000, timeout=5):
                seen_seq = msg.metadata.sequence.stream
                ids[(msg.headers or {}).get("Nats-Msg-Id", f"<no id, seq {seen_seq}>")] += 1
    finally:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
    return ids


async def check_streams_hold_store_once(
    stack: Stack, events: dict[str, list[asyncpg.Record]]
) -> dict[str, int]:
    """Each store event is in its context's stream exactly once, and the stream holds nothing else."""
    nc = await bus.connect(stack.operator_nats_url(), name="reliability-check")
    counted = {}
    try:
        for service, rows in events.items():
            ids = await stream_message_ids(nc, f"CAMPUS_{service.upper()}")
            stored = Counter(str(r["event_id"]) for r in rows)
            twice = {i: n for i, n in ids.items() if n > 1}
            assert not twice, f"{service}: messages published twice: {list(twice.items())[:5]}"
            missing = set(stored) - set(ids)
            assert not missing, (
                f"{service}: {len(missing)} stored events not in JetStream: {sorted(missing)[:5]}"
            )
            extra = set(ids) - set(stored)
            assert not extra, (
                f"{service}: {len(extra)} messages in JetStream not in the store: {sorted(extra)[:5]}"
            )
            counted[service] = len(stored)
    finally:
        await nc.close()
    return counted


async def lagging(stack: Stack) -> list[str]:
    """What has not converged yet: outbox rows left, consumers with messages pending or unacked."""
    late = []
    for service in CONTEXTS:
        left = await fetch(stack, service, "SELECT count(*) AS n FROM outbox")
        if left[0]["n"]:
            late.append(f"{service} outbox: {left[0]['n']}")
    nc = await bus.connect(stack.operator_nats_url(), name="reliability-lag")
    try:
        js = nc.jetstream()
        for service in CONTEXTS:
            for info in await js.consumers_info(f"CAMPUS_{service.upper()}"):
                if info.config.durable_name and (info.num_pending or info.num_ack_pending):
                    late.append(f"{info.name}: {info.num_pending} pending, {info.num_ack_pending} unacked")
    finally:
        await nc.close()
    return late


async def wait_converged(stack: Stack, within: float) -> float:
    """Seconds until every outbox is empty and every durable consumer has acked its stream's end."""
    started = time.monotonic()
    last: list[str] = []

    async def converged() -> bool:
        nonlocal last
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncio.TimeoutError):
            last = await lagging(stack)
            return not last
        return False

    try:
        await eventually(converged, within=within, interval=0.25)
    except AssertionError as exc:
        raise AssertionError(f"not converged after {within}s: {last}") from exc
    return time.monotonic() - started


async def volatile_columns(conn: asyncpg.Connection, table: str, schema: str) -> set[str]:
    """Columns the database fills in itself (serial sequences, ``now()``): they differ on a rebuild."""
    rows = await conn.fetch(
        "SELECT column_name, column_default FROM information_schema.columns"
        " WHERE table_schema = $1 AND table_name = $2",
        schema,
        table,
    )
    return {
        r["column_name"]
        for r in rows
        if r["column_name"] in ("seq", "updated_at")
        or any(f in (r["column_default"] or "") for f in ("nextval", "now()"))
    }


async def compare_tables(conn: asyncpg.Connection, table: str, schema: str, other: str) -> int:
    ignored = await volatile_columns(conn, table, schema)
    minus = "".join(f" - '{c}'" for c in sorted(ignored))
    a, b = f'"{schema}"."{table}"', f'"{other}"."{table}"'
    return int(
        await conn.fetchval(
            f"SELECT (SELECT count(*) FROM (SELECT to_jsonb(t){minus} FROM {a} t EXCEPT ALL"
            f" SELECT to_jsonb(t){minus} FROM {b} t) x) + (SELECT count(*) FROM (SELECT to_jsonb(t){minus}"
            f" FROM {b} t EXCEPT ALL SELECT to_jsonb(t){minus} FROM {a} t) y)"
        )
    )


async def check_projections_equal_rebuild(stack: Stack) -> dict[str, int]:
    """Replay each rebuildable projection from its stream; its rows must equal the live ones."""
    from campus_cli.replay import projections_of
    from campus_events.replay import replay

    rows_compared: dict[str, int] = {}
    differences: dict[str, int] = {}
    nc = await bus.connect(stack.operator_nats_url(), name="reliability-rebuild")
    try:
        for service in CONTEXTS:
            dsn = stack.database_url(service)
            for projection in projections_of(service).values():
                if not projection.tables:
                    continue
                result = await replay(dsn, nc, projection, keep_previous=True, takeover_timeout=60)
                assert result.previous_schema, result
                conn = await asyncpg.connect(dsn)
                try:
                    for table in projection.tables:
                        differences[f"{service}.{table}"] = await compare_tables(
                            conn, table, "public", result.previous_schema
                        )
                        rows_compared[f"{service}.{table}"] = int(
                            await conn.fetchval(f'SELECT count(*) FROM "{table}"')
                        )
                    await conn.execute(f'DROP SCHEMA "{result.previous_schema}" CASCADE')
                finally:
                    await conn.close()
    finally:
        await nc.close()
    assert not any(differences.values()), f"live projection rows differ from a rebuild: {differences}"
    await check_enrolments_match_store(stack)
    return rows_compared


def final_statuses(events: list[asyncpg.Record]) -> dict[str, tuple[str, str | None]]:
    """Each enrolment's status and session, recomputed from the enrollment store's events."""
    import json

    status_of = {
        "AgentEnrolled": "enrolled",
        "AgentWaitlisted": "waitlisted",
        "WaitlistPromoted": "enrolled",
        "EnrollmentCancelled": "cancelled",
        "CourseCompleted": "completed",
    }
    out: dict[str, tuple[str, str | None]] = {}
    for row in events:  # in position order: per stream, in version order
        if row["type"] in status_of:
            data = json.loads(row["data"])
            out[data["enrollment_id"]] = (status_of[row["type"]], data.get("session_id"))
    return out


async def check_enrolments_match_store(stack: Stack) -> int:
    recomputed = final_statuses(await store_events(stack, "enrollment"))
    rows = await fetch(stack, "enrollment", "SELECT enrollment_id, status FROM enrollments")
    projected = {str(r["enrollment_id"]): r["status"] for r in rows}
    expected = {k: v[0] for k, v in recomputed.items()}
    wrong = {k: (projected.get(k), v) for k, v in expected.items() if projected.get(k) != v}
    assert not wrong, (
        f"{len(wrong)} enrolments differ from the store (projected, store): {list(wrong.items())[:5]}"
    )
    assert set(projected) == set(expected), set(projected) ^ set(expected)
    return len(expected)


async def check_invariants(stack: Stack) -> dict[str, int]:
    """No envelope over-reserved (store and projection), no session over capacity (store)."""
    import json

    funding = await store_events(stack, "funding")
    amount: dict[str, int] = {}
    reserved: Counter[str] = Counter()
    for row in funding:
        data = json.loads(row["data"])
        if row["type"] == "EnvelopeOpened":
            amount[data["envelope_id"]] = data["amount_cents"]
        elif row["type"] == "EnvelopeFundsReserved":
            reserved[data["envelope_id"]] += data["amount_cents"]
        elif row["type"] == "EnvelopeFundsReleased":
            reserved[data["envelope_id"]] -= data["amount_cents"]
    over = {e: (reserved[e], amount[e]) for e in amount if reserved[e] > amount[e]}
    assert not over, f"envelopes over-reserved in the store (reserved, amount): {over}"
    projected = await fetch(
        stack, "funding", "SELECT envelope_id, amount_cents, reserved_cents FROM funding_envelopes"
    )
    for row in projected:
        assert row["reserved_cents"] <= row["amount_cents"], dict(row)
        assert row["reserved_cents"] == reserved[str(row["envelope_id"])], (dict(row), reserved)

    capacity = {}
    for row in await store_events(stack, "catalog"):
        if row["type"] == "SessionScheduled":
            data = json.loads(row["data"])
            capacity[data["session_id"]] = data["capacity"]
    seated: Counter[str] = Counter()
    for status, session in final_statuses(await store_events(stack, "enrollment")).values():
        if session and status in ("enrolled", "completed"):
            seated[session] += 1
    overbooked = {
        s: (n, capacity.get(s)) for s, n in seated.items() if capacity.get(s) is not None and n > capacity[s]
    }
    assert not overbooked, f"sessions over capacity (seated, capacity): {overbooked}"
    return {"envelopes": len(amount), "reserved_cents": sum(reserved.values()), "sessions": len(seated)}


async def check_everything(
    stack: Stack, load: Load, *, converge_within: float, since: float | None = None
) -> dict[str, Any]:
    """Convergence (within ``converge_within`` s of ``since``, default now), then every check."""
    since = time.monotonic() if since is None else since
    await wait_converged(stack, max(1.0, converge_within - (time.monotonic() - since)))
    converged = time.monotonic() - since
    events = {service: await store_events(stack, service) for service in CONTEXTS}
    accepted = check_accepted_commands_stored_once(load, events)
    streamed = await check_streams_hold_store_once(stack, events)
    invariants = await check_invariants(stack)
    rebuilt = await check_projections_equal_rebuild(stack)
    return {
        "converged_s": round(converged, 2),
        "answers": len(load.answers),
        "accepted": accepted,
        "retried": sum(1 for a in load.answers if a.attempts > 1),
        "events": sum(streamed.values()),
        "rebuilt_rows": sum(rebuilt.values()),
        **invariants,
    }


def unexpected(load: Load, allowed: frozenset[int] = frozenset({409, 422})) -> Counter[tuple[str, int]]:
    """Answers other than 2xx and the documented refusals (e.g. 5xx, or no answer at all)."""
    return Counter(
        (a.kind, a.status) for a in load.answers if not 200 <= a.status < 300 and a.status not in allowed
    )


def report(name: str, figures: dict[str, Any]) -> None:
    print(f"\n[reliability] {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))

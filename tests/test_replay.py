"""`campus replay`: a projection rebuilt from JetStream into shadow tables and swapped in, while the
service keeps answering; the rebuilt tables equal the replaced ones, row for row.

The catalog service runs in-process on real PostgreSQL and NATS JetStream; its history is appended
through its event store and published by its outbox relay. 2,000 events here, 50,000 in the soak
form (`make soak`).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from campus_catalog.bootstrap import create_app
from campus_catalog.config import Settings
from campus_catalog.projections import PROJECTIONS
from campus_events import bus
from campus_events.contracts.catalog import CourseProposed, CoursePublished, CourseRevised, SessionScheduled
from campus_events.envelope import Actor, envelope_for
from campus_events.replay import ReplayProgress, replay, shadow_schema, table_differences
from campus_events.store.postgres import connect
from campus_service.testing import TokenFactory, eventually, serve

READ_MODELS = next(p for p in PROJECTIONS if p.name == "catalog-read-models")
EVENTS_PER_COURSE = 4  # proposed, revised, published, and one session scheduled
STAFF = Actor(id=uuid.UUID(int=7), role="campus_staff")


@pytest.fixture
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture
def app(database_url: str, nats_server: Any, tokens: TokenFactory) -> FastAPI:
    return create_app(
        Settings(database_url=database_url, nats_url=nats_server.url, jwt_public_key=tokens.public_pem)
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app) as client:
        yield client


async def append_history(app: FastAPI, courses: int, marker: str) -> None:
    """``courses`` published courses with a session each: ``4 * courses`` events."""
    store = app.state.runtime.store
    starts = datetime(2031, 1, 6, 9, tzinfo=UTC)
    for first in range(0, courses, 100):
        envelopes, expected = [], {}
        for n in range(first, min(first + 100, courses)):
            course, session = uuid.uuid4(), uuid.uuid4()
            description = {
                "course_id": course, "kind": "formation", "summary": f"Résumé {n}", "modality": "online",
                "themes": ["data"], "objectives": [f"objectif {n}"],
            }  # fmt: skip
            correlation = uuid.uuid4()
            events = [
                CourseProposed(title=f"Cours {marker} {n}", proposed_by=STAFF.id, **description),
                CourseRevised(title=f"Cours {marker} {n} (v2)", revised_by=STAFF.id, **description),
                CoursePublished(course_id=course),
            ]
            envelopes += [envelope_for(e, course, actor=STAFF, correlation_id=correlation) for e in events]
            envelopes.append(
                envelope_for(
                    SessionScheduled(
                        session_id=session,
                        course_id=course,
                        starts_at=starts + timedelta(days=n),
                        ends_at=starts + timedelta(days=n, hours=3),
                        capacity=12,
                    ),
                    session,
                    actor=STAFF,
                    correlation_id=correlation,
                )
            )
            expected[f"course-{course}"] = 0
            expected[f"session-{session}"] = 0
        await store.append(envelopes, expected)


async def checkpoint(app: FastAPI) -> int:
    async with app.state.runtime.pool.acquire() as conn:
        return int(
            await conn.fetchval(
                "SELECT coalesce(max(stream_seq), 0) FROM consumer_checkpoints WHERE consumer = $1",
                READ_MODELS.name,
            )
        )


async def projected(app: FastAPI, events: int) -> bool:
    """The live projection has applied the whole stream."""
    info = await app.state.runtime.nc.jetstream().stream_info("CAMPUS_CATALOG")
    return info.state.last_seq >= events and await checkpoint(app) == info.state.last_seq


class Reader:
    """Keeps querying the service (the public list and readiness) and records every failure."""

    def __init__(self, client: httpx.AsyncClient, published: int) -> None:
        self.client, self.published = client, published
        self.requests, self.failures = 0, []
        self.stopping = asyncio.Event()

    async def run(self) -> None:
        while not self.stopping.is_set():
            listing = await self.client.get("/v1/courses", params={"limit": 5})
            ready = await self.client.get("/health/ready")
            self.requests += 2
            if listing.status_code != 200 or listing.json()["total"] != self.published:
                self.failures.append(("list", listing.status_code, listing.text[:200]))
            if ready.status_code != 200:
                self.failures.append(("ready", ready.status_code, ready.text[:300]))
            await asyncio.sleep(0.01)


async def rebuild_while_reading(app: FastAPI, client: httpx.AsyncClient, nats_url: str, courses: int) -> None:
    events = courses * EVENTS_PER_COURSE
    await append_history(app, courses, uuid.uuid4().hex[:6])
    await eventually(lambda: projected(app, events), within=60 + events / 100)
    before = await checkpoint(app)

    reader = Reader(client, courses)
    reading = asyncio.create_task(reader.run())
    phases: list[ReplayProgress] = []
    nc = await bus.connect(nats_url, name="test-replay")
    try:
        result = await replay(
            app.state.runtime.settings.database_url,
            nc,
            READ_MODELS,
            keep_previous=True,
            on_progress=phases.append,
        )
    finally:
        reader.stopping.set()
        await reading
        await nc.close()

    assert result.applied == events and result.last_seq == before == result.checkpoint_before
    assert (
        result.dead_lettered == [] and result.previous_schema == f"{shadow_schema(READ_MODELS.name)}_previous"
    )
    assert phases[0].phase == "rebuilding" and phases[-1].phase == "done"
    assert phases[-1].applied == phases[-1].total == events
    assert {"taking_over", "catching_up", "swapping"} <= {p.phase for p in phases}
    # The service answered throughout, correctly, and stayed ready while its consumer stood by.
    assert reader.requests > 10 and reader.failures == []

    conn = await connect(app.state.runtime.settings.database_url)
    try:
        differences = await table_differences(conn, READ_MODELS.tables, "public", result.previous_schema)
        assert differences == dict.fromkeys(READ_MODELS.tables, 0)
        counts = [
            await conn.fetchval(f"SELECT count(*) FROM {t}") for t in ("catalog_courses", "catalog_sessions")
        ]
        assert counts == [courses, courses]
        # The swapped-in tables carry the migrations' index names, the shadow schema is gone.
        indexes = {
            r[0] for r in await conn.fetch("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
        }
        assert {"catalog_courses_search", "catalog_courses_themes", "catalog_sessions_course"} <= indexes
        assert await conn.fetchval("SELECT to_regnamespace($1)", shadow_schema(READ_MODELS.name)) is None
        assert await conn.fetchval("SELECT count(*) FROM dead_letters") == 0
    finally:
        await conn.close()

    # The live consumer took its projection back, from the swapped checkpoint: a new course shows.
    consumer = next(c for c in app.state.runtime.consumers if c.name == READ_MODELS.name)

    async def active() -> bool:
        return consumer.stats.active

    await eventually(active, within=30)
    await append_history(app, 1, "après")

    async def listed() -> bool:
        return (await client.get("/v1/courses", params={"limit": 1})).json()["total"] == courses + 1

    await eventually(listed, within=30)
    assert await checkpoint(app) == before + EVENTS_PER_COURSE


async def test_replay_rebuilds_a_projection_while_the_service_answers(app, client, nats_server):
    await rebuild_while_reading(app, client, nats_server.url, courses=500)  # 2,000 events


async def test_events_appended_during_a_replay_are_all_projected_once(app, client, nats_server):
    """Commands keep coming during the rebuild, the takeover and the swap: nothing is lost at the
    hand-over between the replay and the live consumer, nothing is applied twice."""
    await append_history(app, 300, "avant")
    await eventually(lambda: projected(app, 1200), within=60)
    written = 300
    stop = asyncio.Event()

    async def write() -> None:
        nonlocal written
        while not stop.is_set():
            await append_history(app, 1, "pendant")
            written += 1
            await asyncio.sleep(0.02)

    writing = asyncio.create_task(write())
    nc = await bus.connect(nats_server.url, name="test-replay")
    try:
        result = await replay(app.state.runtime.settings.database_url, nc, READ_MODELS, batch_size=100)
    finally:
        stop.set()
        await writing
        await nc.close()
    assert result.applied > 1200 and result.previous_schema is None

    async def listed() -> bool:
        return (await client.get("/v1/courses", params={"limit": 1})).json()["total"] == written

    await eventually(listed, within=60)
    await eventually(lambda: projected(app, written * EVENTS_PER_COURSE), within=30)
    async with app.state.runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM catalog_sessions") == written
        assert await conn.fetchval("SELECT count(*) FROM catalog_courses WHERE version = 3") == written


@pytest.mark.soak
@pytest.mark.skipif(not os.environ.get("CAMPUS_SOAK"), reason="make soak only")
@pytest.mark.timeout(1800)
async def test_replay_of_fifty_thousand_events_soak(app, client, nats_server):
    await rebuild_while_reading(app, client, nats_server.url, courses=12_500)  # 50,000 events


async def test_the_command_rebuilds_and_compares(app, client, nats_server, tmp_path: Path):
    """`campus replay catalog catalog-read-models --keep-previous --json` against the running service."""
    await append_history(app, 25, "cli")
    await eventually(lambda: projected(app, 100), within=60)
    env = {
        **os.environ,
        "CAMPUS_HOME": str(tmp_path),
        "CAMPUS_CATALOG_DATABASE_URL": app.state.runtime.settings.database_url,
        "CAMPUS_NATS_URL": nats_server.url,
    }
    command = [str(Path(sys.executable).parent / "campus"), "replay", "catalog", "catalog-read-models"]
    process = await asyncio.create_subprocess_exec(
        *command,
        "--keep-previous",
        "--json",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    started = time.monotonic()
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    summary = json.loads(out)
    assert summary["projection"] == "catalog-read-models" and summary["applied"] == 100
    assert summary["differences"] == {"catalog_courses": 0, "catalog_sessions": 0, "catalog_paths": 0}
    assert summary["seconds"] <= time.monotonic() - started
    assert (await client.get("/v1/courses")).json()["total"] == 25


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere", "x"], "unknown service 'nowhere'; services: catalog, enrollment"),
        (["catalog", "x"], "rebuildable: catalog-read-models, catalog-registered-trainers"),
        (["trainers", "trainers-catalog"], "cannot be rebuilt alone"),
        # Built by a factory around the service's roster cache: known, and refused for its reason.
        (["enrollment", "enrollment-catalog"], "enrollment-catalog cannot be rebuilt alone"),
    ],
)
def test_the_command_names_the_valid_choices(args, message, tmp_path):
    import subprocess

    command = [str(Path(sys.executable).parent / "campus"), "replay", *args]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=60, env={**os.environ, "CAMPUS_HOME": str(tmp_path)}
    )
    assert done.returncode == 2 and message in done.stderr


async def test_a_serial_column_and_the_index_names_survive_the_swap(database_url, nats_server):
    """A projection whose table numbers its rows (``bigserial``) is rebuilt with a sequence of its own:
    the rebuild never draws the live numbers, and after the swap the table, its indexes, constraint
    and sequence carry the names the migrations gave them (later migrations refer to them)."""
    from campus_events.consumer import Projection
    from campus_events.migrate import kernel_migrations, migrate
    from campus_events.streams import ensure_streams

    conn = await connect(database_url)
    await migrate(conn, kernel_migrations())
    await conn.execute(
        "CREATE TABLE ledger (seq bigserial UNIQUE, event_id uuid PRIMARY KEY, course_id uuid NOT NULL);"
        " CREATE INDEX ledger_by_course ON ledger (course_id, seq)"
    )

    async def apply(db, envelope) -> None:
        await db.execute(
            "INSERT INTO ledger (event_id, course_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            envelope.id,
            uuid.UUID(envelope.data["course_id"]),
        )

    projection = Projection("test-ledger", "CAMPUS_CATALOG", ("campus.catalog.>",), apply, tables=("ledger",))
    nc = await bus.connect(nats_server.url, name="test-replay")
    try:
        js = nc.jetstream()
        await ensure_streams(js)
        for _ in range(30):
            course = uuid.uuid4()
            envelope = envelope_for(CoursePublished(course_id=course), course, actor=STAFF)
            await js.publish(envelope.subject, envelope.to_json())
            await apply(conn, envelope)  # the live projection, as its consumer would have written it
        await conn.execute("SELECT setval('ledger_seq_seq', 1000)")  # live numbers far ahead
        before = {r["event_id"]: r["seq"] for r in await conn.fetch("SELECT event_id, seq FROM ledger")}

        result = await replay(database_url, nc, projection, batch_size=7)
    finally:
        await nc.close()
    try:
        assert result.applied == 30 and result.last_seq == 30
        after = {r["event_id"]: r["seq"] for r in await conn.fetch("SELECT event_id, seq FROM ledger")}
        assert after == before  # numbered 1..30 again, in stream order
        assert await conn.fetchval("SELECT last_value FROM ledger_seq_seq") == 30
        assert (
            await conn.fetchval("SELECT pg_get_serial_sequence('ledger', 'seq')") == "public.ledger_seq_seq"
        )
        indexes = {
            r[0] for r in await conn.fetch("SELECT indexname FROM pg_indexes WHERE tablename = 'ledger'")
        }
        assert indexes == {"ledger_pkey", "ledger_seq_key", "ledger_by_course"}
        constraints = {
            r[0]
            for r in await conn.fetch(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'ledger'::regclass AND contype <> 'n'"
            )
        }
        assert constraints == {"ledger_pkey", "ledger_seq_key"}
        assert (
            await conn.fetchval("SELECT stream_seq FROM consumer_checkpoints WHERE consumer = 'test-ledger'")
            == 30
        )
        (new_seq,) = await conn.fetchrow(
            "INSERT INTO ledger (event_id, course_id) VALUES ($1, $1) RETURNING seq", uuid.uuid4()
        )
        assert new_seq == 31
    finally:
        await conn.close()

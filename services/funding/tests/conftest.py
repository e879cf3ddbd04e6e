"""Integration fixtures: the funding app on real PostgreSQL and NATS, tokens, and a way to feed
the ``funding-projects`` projection with projects events published to JetStream."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import nats
import pytest
from fastapi import FastAPI

from campus_events.contracts.projects import ProjectOpened, ProjectStageAdvanced
from campus_events.contracts.vocab import ProjectStage
from campus_events.envelope import Actor, envelope_for
from campus_funding.bootstrap import create_app
from campus_funding.config import Settings
from campus_service.testing import TokenFactory, eventually, serve

STAGES = list(ProjectStage)[:4]  # needs_analysis → design → implementation → evaluation


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture
def settings(database_url: str, nats_server: Any, tokens: TokenFactory) -> Settings:
    return Settings(database_url=database_url, nats_url=nats_server.url, jwt_public_key=tokens.public_pem)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app) as client:
        yield client


@pytest.fixture
def ministry() -> str:
    return f"m{uuid.uuid4().hex[:8]}"


@pytest.fixture
def committee(tokens: TokenFactory) -> dict[str, str]:
    return tokens.auth(roles=["funding_committee"], ministry="dinum")


@pytest.fixture
def manager(tokens: TokenFactory, ministry: str) -> dict[str, str]:
    return tokens.auth(roles=["manager"], ministry=ministry)


async def publish_project(
    nats_url: str, ministry: str, stage: ProjectStage = ProjectStage.DESIGN
) -> uuid.UUID:
    """Publish what the projects service would: the project opened, then advanced up to ``stage``."""
    project_id = uuid.uuid4()
    actor = Actor(id=uuid.uuid4(), role="manager")
    events: list[Any] = [
        ProjectOpened(
            project_id=project_id,
            ministry=ministry,
            title="Projet de démo",
            service="Bureau de démo",
            team_size=12,
            expectations="démo",
            opened_by=actor.id,
        )
    ]
    path = STAGES[: STAGES.index(stage) + 1] if stage in STAGES else [*STAGES[:2]]
    for before, nxt in itertools.pairwise(path):
        events.append(ProjectStageAdvanced(project_id=project_id, from_stage=before, to_stage=nxt))
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for version, event in enumerate(events, start=1):
            envelope = envelope_for(event, project_id, ministry=ministry, actor=actor).model_copy(
                update={"stream_version": version}
            )
            await js.publish(envelope.subject, envelope.to_json(), headers={"Nats-Msg-Id": str(envelope.id)})
    finally:
        await nc.close()
    return project_id


async def project_known(app: FastAPI, project_id: uuid.UUID, stage: str = "design") -> None:
    async def check() -> bool:
        async with app.state.runtime.pool.acquire() as conn:
            found = await conn.fetchval(
                "SELECT stage FROM funding_projects WHERE project_id = $1", project_id
            )
        return found == stage

    await eventually(check)


@pytest.fixture
def publish(nats_server: Any, app: FastAPI, ministry: str):  # type: ignore[no-untyped-def]
    """``await publish()`` → a project id in ``design``, once the projection knows it."""

    async def go(stage: ProjectStage = ProjectStage.DESIGN, own: str | None = None) -> uuid.UUID:
        project_id = await publish_project(nats_server.url, own or ministry, stage)
        await project_known(app, project_id, stage.value)
        return project_id

    return go


ENVELOPE = {
    "name": "Guichet FTAP (test)",
    "year": 2026,
    "amount_cents": 200_000_000,
    "min_project_cents": 2_000_000,
    "max_project_cents": 30_000_000,
    "max_rate": 0.5,
}


def request_body(project_id: uuid.UUID, envelope_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "project_id": str(project_id),
        "envelope_id": envelope_id,
        "project_cost_cents": 20_000_000,
        "requested_cents": 10_000_000,
        "agents_targeted": [
            {"profile": "développeur", "count": 20},
            {"profile": "chef de projet", "count": 5},
        ],
        "expected_satisfaction_rate": 0.85,
        "expected_savings_cents": 1_000_000,
        "criteria": ["impact", "poolability"],
        "summary": "Former les équipes à l'IA générative sur leurs propres processus.",
        **overrides,
    }

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import nats
import pytest
from fastapi import FastAPI

from campus_enrollment.bootstrap import create_app
from campus_enrollment.config import Settings
from campus_events.contracts.catalog import (
    CourseProposed,
    CoursePublished,
    LearningPathDefined,
    LearningPathPublished,
    SessionCancelled,
    SessionCapacityChanged,
    SessionScheduled,
)
from campus_events.contracts.trainers import TrainerRegistered
from campus_events.envelope import envelope_for
from campus_events.registry import CampusEvent
from campus_service.testing import TokenFactory, eventually, serve


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture
def app(database_url: str, nats_server: Any, tokens: TokenFactory) -> FastAPI:
    settings = Settings(database_url=database_url, nats_url=nats_server.url, jwt_public_key=tokens.public_pem)
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app) as client:
        yield client


class Catalog:
    """Publishes catalogue (and trainers) events to JetStream, as those services would."""

    def __init__(self, js: Any, client: httpx.AsyncClient) -> None:
        self.js, self.client = js, client

    async def publish(self, event: CampusEvent, aggregate_id: uuid.UUID) -> None:
        env = envelope_for(event, aggregate_id, ministry="dinum")
        await self.js.publish(env.subject, env.to_json(), headers={"Nats-Msg-Id": str(env.id)})

    async def course(
        self, *, pace: str = "scheduled", title: str = "Découvrir les IA génératives"
    ) -> uuid.UUID:
        course_id = uuid.uuid4()
        await self.publish(
            CourseProposed(
                course_id=course_id,
                title=title,
                kind="formation",
                summary="Démonstration",
                modality="online",
                themes=["data", "transformation-numerique"],
                pace=pace,
                proposed_by=uuid.uuid4(),
            ),
            course_id,
        )
        await self.publish(CoursePublished(course_id=course_id), course_id)
        return course_id

    async def session(
        self,
        course_id: uuid.UUID,
        capacity: int,
        trainer_ids: list[uuid.UUID] | None = None,
        start: datetime = datetime(2026, 3, 2, 9, tzinfo=UTC),  # held already
    ) -> uuid.UUID:
        session_id = uuid.uuid4()
        await self.publish(
            SessionScheduled(
                session_id=session_id,
                course_id=course_id,
                starts_at=start,
                ends_at=start + timedelta(hours=3),
                capacity=capacity,
                join_url="https://visio.example.org/demo-session",
                trainer_ids=trainer_ids or [],
            ),
            session_id,
        )
        await eventually(lambda: self._seats(session_id))
        return session_id

    async def _seats(self, session_id: uuid.UUID) -> bool:
        return (await self.client.get(f"/v1/sessions/{session_id}/seats")).status_code == 200

    async def resize(self, course_id: uuid.UUID, session_id: uuid.UUID, capacity: int) -> None:
        await self.publish(
            SessionCapacityChanged(session_id=session_id, course_id=course_id, capacity=capacity), session_id
        )

    async def cancel(self, course_id: uuid.UUID, session_id: uuid.UUID) -> None:
        await self.publish(
            SessionCancelled(session_id=session_id, course_id=course_id, reason="test"), session_id
        )

    async def path(self, course_ids: list[uuid.UUID], *, published: bool = True) -> uuid.UUID:
        path_id = uuid.uuid4()
        await self.publish(
            LearningPathDefined(path_id=path_id, title="Parcours data", course_ids=course_ids), path_id
        )
        if published:
            await self.publish(LearningPathPublished(path_id=path_id), path_id)
        return path_id

    async def trainer(self, trainer_id: uuid.UUID) -> None:
        await self.publish(
            TrainerRegistered(trainer_id=trainer_id, ministry="dinum", kind="internal", expertise=["data"]),
            trainer_id,
        )


@pytest.fixture
async def catalog(client: httpx.AsyncClient, nats_server: Any) -> AsyncIterator[Catalog]:
    nc = await nats.connect(nats_server.url)
    try:
        yield Catalog(nc.jetstream(), client)
    finally:
        await nc.close()

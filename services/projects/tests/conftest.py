from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import nats
import pytest
from fastapi import FastAPI

from campus_events.envelope import envelope_for
from campus_events.registry import CampusEvent
from campus_projects.bootstrap import create_app
from campus_projects.config import Settings
from campus_service.testing import TokenFactory, serve


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture
def app(database_url: str, nats_server: Any, tokens: TokenFactory) -> FastAPI:
    settings = Settings(database_url=database_url, nats_url=nats_server.url, jwt_public_key=tokens.public_pem)
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app, within=60) as client:  # 2 shared cores: starting may be slow
        yield client


class Publisher:
    """Plays another service: publishes its contract events to JetStream as its relay would."""

    def __init__(self, js: Any) -> None:
        self.js = js
        self.versions: dict[str, int] = {}

    async def __call__(self, event: CampusEvent, aggregate_id: Any, ministry: str | None = None) -> None:
        envelope = envelope_for(event, aggregate_id, ministry=ministry)
        version = self.versions[envelope.stream] = self.versions.get(envelope.stream, 0) + 1
        envelope = envelope.model_copy(update={"stream_version": version})
        await self.js.publish(envelope.subject, envelope.to_json(), headers={"Nats-Msg-Id": str(envelope.id)})


@pytest.fixture
async def publish(client: httpx.AsyncClient, nats_server: Any) -> AsyncIterator[Publisher]:
    nc = await nats.connect(nats_server.url)
    try:
        yield Publisher(nc.jetstream())
    finally:
        await nc.close()

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from campus_service.testing import TokenFactory, serve
from campus_webhooks.bootstrap import create_app
from campus_webhooks.config import Settings


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture
def settings(database_url: str, nats_server: Any, tokens: TokenFactory) -> Settings:
    # Retries within a fraction of a second, so that a test sees several attempts.
    return Settings(
        database_url=database_url,
        nats_url=nats_server.url,
        jwt_public_key=tokens.public_pem,
        retry_base_seconds=0.05,
        retry_max_seconds=0.4,
        poll_seconds=0.2,
    )


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app) as client:
        yield client

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from campus_catalog.bootstrap import create_app
from campus_catalog.config import Settings
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
    async with serve(app) as client:
        yield client

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from campus_service import ServiceSettings
from campus_service.testing import TokenFactory, serve

from .demo import demo_app


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture
def settings(database_url: str, nats_server: Any, tokens: TokenFactory) -> ServiceSettings:
    return ServiceSettings(
        service_name="demo",
        database_url=database_url,
        nats_url=nats_server.url,
        jwt_public_key=tokens.public_pem,
    )


@pytest.fixture
def app(settings: ServiceSettings) -> FastAPI:
    return demo_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app) as client:
        yield client

"""Test helpers for services built on the kit: run an app's lifespan and talk to it over httpx.

    async with serve(app) as client:          # waits for /health/ready
        r = await client.post("/v1/things", json={...}, headers=tokens.auth(roles=["agent"]))

Needs ``httpx`` (a test dependency, not a runtime one).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from .devkeys import DEV_AUDIENCE, DEV_ISSUER, generate_keypair, mint_token


@dataclass
class TokenFactory:
    """A key pair of its own and tokens signed with it (``public_pem`` goes into the settings)."""

    keys: tuple[str, str] = field(default_factory=generate_keypair)
    issuer: str = DEV_ISSUER
    audience: str = DEV_AUDIENCE

    @property
    def public_pem(self) -> str:
        return self.keys[1]

    def token(
        self,
        *,
        roles: Iterable[str] = ("agent",),
        ministry: str | None = "dinum",
        sub: uuid.UUID | None = None,
        **claims: Any,
    ) -> str:
        claims.setdefault("issuer", self.issuer)
        claims.setdefault("audience", self.audience)
        return mint_token(self.keys[0], sub=sub or uuid.uuid4(), roles=roles, ministry=ministry, **claims)

    def auth(self, **kwargs: Any) -> dict[str, str]:
        """``{"Authorization": "Bearer …"}`` for a token made by ``token(**kwargs)``."""
        return {"Authorization": f"Bearer {self.token(**kwargs)}"}


async def wait_ready(client: httpx.AsyncClient, within: float = 20.0) -> dict[str, Any]:
    """Poll ``/health/ready`` until it answers 200; its last body otherwise (in the AssertionError)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        response = await client.get("/health/ready")
        if response.status_code == 200:
            return response.json()  # type: ignore[no-any-return]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not ready after {within}s: {response.text}")
        await asyncio.sleep(0.05)


async def eventually(
    check: Callable[[], Awaitable[Any]], within: float = 10.0, interval: float = 0.05
) -> Any:
    """Call ``check`` until it returns something truthy (returned); ``AssertionError`` after ``within`` s."""
    deadline = asyncio.get_running_loop().time() + within
    while not (result := await check()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true after {within}s: {check}")
        await asyncio.sleep(interval)
    return result


@asynccontextmanager
async def serve(
    app: FastAPI, *, ready: bool = True, within: float = 20.0
) -> AsyncIterator[httpx.AsyncClient]:
    """Run ``app``'s lifespan and yield a client bound to it (no socket)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://campus.test") as client:
            if ready:
                await wait_ready(client, within)
            yield client

"""The seeder opens the real FTAP envelope through the API, once however often it runs."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from campus_funding.seed import seed
from campus_service.testing import eventually


class SyncClient:
    """What the seeder expects of ``ctx.client`` (httpx.Client), over the in-process async client."""

    def __init__(self, client: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.client, self.loop = client, loop

    def post(self, url: str, **kwargs: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(self.client.post(url, **kwargs), self.loop).result(30)


class SeedContext:
    def __init__(self, client: Any, tokens: Any) -> None:
        self.urls = {"funding": "http://campus.test"}
        self.client = SyncClient(client, asyncio.get_running_loop())
        self.sub = uuid.uuid4()
        self.tokens = tokens

    def headers(self, *roles: str, ministry: str = "dinum") -> dict[str, str]:
        return self.tokens.auth(roles=list(roles), ministry=ministry, sub=self.sub)


async def test_seed_opens_the_ftap_envelope_once(app, client, tokens, committee):
    ctx = SeedContext(client, tokens)
    await asyncio.to_thread(seed, ctx)
    await asyncio.to_thread(seed, ctx)

    async def envelopes():
        return (await client.get("/v1/envelopes", headers=committee)).json()["items"]

    (envelope,) = await eventually(envelopes)
    assert envelope["amount_cents"] == 200_000_000 and envelope["max_rate"] == 0.5
    assert (envelope["min_project_cents"], envelope["max_project_cents"]) == (2_000_000, 30_000_000)
    async with app.state.runtime.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM events WHERE type = 'EnvelopeOpened'") == 1

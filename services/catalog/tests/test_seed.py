"""The seeder fills the catalogue through the API (as make run does), and a second run changes nothing;
the real trainings of FACTS.md are found by French search."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from campus_catalog.seed import seed
from campus_service.testing import eventually


class SyncClient:
    """What the seeder expects of ``ctx.client`` (httpx.Client), over the in-process async client."""

    def __init__(self, client: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.client, self.loop = client, loop

    def post(self, url: str, **kwargs: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(self.client.post(url, **kwargs), self.loop).result(30)


class SeedContext:
    def __init__(self, client: Any, tokens: Any) -> None:
        self.urls = {"catalog": "http://campus.test"}
        self.client = SyncClient(client, asyncio.get_running_loop())
        self.staff = uuid.uuid4()
        self.tokens = tokens

    def headers(self, *roles: str, ministry: str = "dinum", sub: Any = None) -> dict[str, str]:
        return self.tokens.auth(roles=list(roles), ministry=ministry, sub=sub or self.staff)


async def count_events(app) -> int:
    async with app.state.runtime.pool.acquire() as conn:
        return await conn.fetchval("SELECT count(*) FROM events")


async def test_seed_is_idempotent_and_searchable(app, client, tokens):
    ctx = SeedContext(client, tokens)
    await asyncio.to_thread(seed, ctx)
    events = await count_events(app)
    await asyncio.to_thread(seed, ctx)
    assert await count_events(app) == events

    async def catalogue():
        page = (await client.get("/v1/courses", params={"limit": 500})).json()
        return page if page["total"] >= 42 else None

    page = await eventually(catalogue, within=10)
    assert set(page["facets"]["theme"]) == {t["slug"] for t in (await client.get("/v1/themes")).json()}
    secnum = (await client.get("/v1/courses", params={"q": "securite"})).json()["items"]
    assert any(c["title"] == "SecNumacadémie" and c["organizers"] == ["ANSSI"] for c in secnum)
    data = (await client.get("/v1/courses", params={"q": "donnees"})).json()["items"]
    assert data and all(
        "donnée" in (c["title"] + c["summary"] + " ".join(c["objectives"])).lower() for c in data
    )
    mooc = next(c for c in page["items"] if c["title"].startswith("MOOC Impacts"))
    assert mooc["registration_url"] == "https://www.fun-mooc.fr/" and "Inria" in mooc["organizers"]
    demo = [c for c in page["items"] if "(démo)" in c["title"]]
    assert len(page["items"]) - len(demo) == 8

    async def paths():
        items = (await client.get("/v1/learning-paths")).json()["items"]
        return items if len(items) == 2 else None

    assert sum(p["reconversion"] for p in await eventually(paths, within=10)) == 1

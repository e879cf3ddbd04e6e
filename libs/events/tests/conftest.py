from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from campus_events.envelope import Actor, Envelope
from campus_events.migrate import kernel_migrations, migrate
from campus_events.store.memory import InMemoryEventStore
from campus_events.store.postgres import PostgresEventStore, create_pool


@pytest.fixture
async def pg_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A migrated database for this test, with the Campus codecs."""
    pool = await create_pool(database_url, max_size=24)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, kernel_migrations())
        yield pool
    finally:
        await pool.close()


@pytest.fixture(params=["memory", "postgres"])
def store(request: pytest.FixtureRequest) -> Any:
    """The contract suite runs against both stores."""
    if request.param == "memory":
        return InMemoryEventStore()
    return PostgresEventStore(request.getfixturevalue("pg_pool"))


def make_event(stream: str | None = None, n: int = 0, **data: Any) -> Envelope:
    """An envelope for store tests (the store does not validate contracts)."""
    stream = stream or f"course-{uuid.uuid4()}"
    return Envelope(
        type="CourseRevised",
        context="catalog",
        aggregate=stream.split("-", 1)[0],
        stream=stream,
        actor=Actor(id=uuid.uuid4(), role="campus_staff"),
        data={"n": n, **data},
    )

"""Enrolment streams: naming, one asyncio lock per stream, and a cache of their folded state.

A hot session gets hundreds of commands at once: the lock serialises them in this process so
they do not turn into a storm of optimistic retries (the expected version still decides across
processes), and the cache means each command reads only the events appended since the last one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import cast
from uuid import UUID, uuid5

import asyncpg

from campus_events.contracts.enrollment import CourseEnrollmentEvent
from campus_events.envelope import Envelope
from campus_events.store.postgres import EVENT_COLUMNS, PostgresEventStore, row_to_envelope

from .domain.decider import Roster, fold

# Self-paced enrolments and learning-path completions get a stream per (agent, thing).
SELF_PACED = UUID("6f1d3c9e-3b1a-4d8e-9a55-2f7c0c1e7a01")
PATH_COMPLETION = UUID("0b7e8a44-51c2-4a57-8c9d-3e6f2a9b1c02")


def session_stream(session_id: UUID) -> str:
    return f"session-{session_id}"


def self_paced_stream(agent_id: UUID, course_id: UUID) -> str:
    return f"enrollment-{uuid5(SELF_PACED, f'{agent_id}:{course_id}')}"


def path_completion_stream(agent_id: UUID, path_id: UUID) -> str:
    return f"enrollment-{uuid5(PATH_COMPLETION, f'{agent_id}:{path_id}')}"


def enrollment_stream(agent_id: UUID, course_id: UUID, session_id: UUID | None) -> str:
    return session_stream(session_id) if session_id else self_paced_stream(agent_id, course_id)


def events_of(envelopes: list[Envelope]) -> list[CourseEnrollmentEvent]:
    return [cast(CourseEnrollmentEvent, e.event()) for e in envelopes]


@dataclass
class _Slot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


@dataclass
class Rosters:
    """Per-stream locks and the last committed fold of each stream (version, roster)."""

    slots: dict[str, _Slot] = field(default_factory=dict)
    cache: dict[str, tuple[int, Roster]] = field(default_factory=dict)
    max_cached: int = 10_000

    @asynccontextmanager
    async def hold(self, stream: str, wait: float | None = None) -> AsyncIterator[None]:
        """The stream's lock. With ``wait`` (seconds), go on without it once that has passed: a consumer
        whose open transaction holds the stream's row must not wait for a request that waits
        for that row (the expected version still keeps the stream right)."""
        slot = self.slots.setdefault(stream, _Slot())
        slot.users += 1
        locked = False
        try:
            try:
                async with asyncio.timeout(wait):  # in this task: no lost wake-up
                    locked = await slot.lock.acquire()
            except TimeoutError:
                pass
            yield
        finally:
            if locked:
                slot.lock.release()
            slot.users -= 1
            if slot.users == 0:
                self.slots.pop(stream, None)

    async def load(self, store: PostgresEventStore, stream: str) -> tuple[Roster, int]:
        """The stream's state from the committed events (cached, read from the last version on)."""
        version, roster = self.cache.get(stream, (0, Roster()))
        fresh = await store.read_stream(stream, from_version=version + 1)
        if fresh:
            roster = fold(events_of(fresh), roster)
            version = fresh[-1].stream_version
            if len(self.cache) >= self.max_cached:
                self.cache.clear()
            self.cache[stream] = (version, roster)
        return roster, version

    async def load_in(self, conn: asyncpg.Connection, stream: str) -> tuple[Roster, int]:
        """The same, read inside a transaction: not cached (that transaction may still roll back)."""
        version, roster = self.cache.get(stream, (0, Roster()))
        rows = await conn.fetch(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE stream = $1 AND version > $2 ORDER BY version",
            stream,
            version,
        )
        if rows:
            fresh = [row_to_envelope(r) for r in rows]
            roster = fold(events_of(fresh), roster)
            version = fresh[-1].stream_version
        return roster, version

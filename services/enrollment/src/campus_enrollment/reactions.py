"""Commands the projections issue when the catalogue changes, inside the consumer's transaction.

The events are appended through the consumer's connection: the checkpoint and the new events
commit together, so a catalogue event causes its enrolment events exactly once. Each decision is
taken from the roster's current state, so replaying the catalogue's events adds nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import structlog

from campus_events.contracts.enrollment import CourseEnrollmentEvent, LearningPathCompleted
from campus_events.contracts.vocab import CancellationReason
from campus_events.envelope import Actor, Envelope, envelope_for
from campus_events.registry import CampusEvent
from campus_events.store.base import ConcurrencyError
from campus_events.store.postgres import PostgresEventStore

from .domain.commands import CancelAllEnrollments, Command, FillFreeSeats
from .domain.decider import decide
from .rosters import Rosters, path_completion_stream, session_stream

log = structlog.get_logger("campus.enrollment.reactions")
ATTEMPTS = 5
LOCK_WAIT = 2.0  # seconds; see Rosters.hold


def _wrap(event: CampusEvent, ministry: str, stream: str, cause: Envelope) -> Envelope:
    return envelope_for(
        event,
        stream.split("-", 1)[1],
        ministry=ministry,
        actor=Actor(role="system"),
        correlation_id=cause.correlation_id or cause.id,
        causation_id=cause.id,
    ).model_copy(update={"stream": stream})


async def _append(conn: asyncpg.Connection, envelopes: Sequence[Envelope], stream: str, version: int) -> None:
    # A savepoint: a lost race leaves the consumer's transaction usable for the retry.
    async with conn.transaction():
        await PostgresEventStore(None).append(envelopes, {stream: version}, connection=conn)


async def _on_session(
    conn: asyncpg.Connection, rosters: Rosters, session_id: UUID, command: Command, cause: Envelope
) -> int:
    stream = session_stream(session_id)
    async with rosters.hold(stream, wait=LOCK_WAIT):
        for attempt in range(ATTEMPTS):
            roster, version = await rosters.load_in(conn, stream)
            events: list[CourseEnrollmentEvent] = decide(roster, command)
            if not events:
                return 0
            try:
                await _append(conn, [_wrap(e, e.ministry, stream, cause) for e in events], stream, version)
                return len(events)
            except ConcurrencyError:
                if attempt == ATTEMPTS - 1:
                    raise
    return 0


async def cancel_session(
    conn: asyncpg.Connection, rosters: Rosters, session_id: UUID, cause: Envelope
) -> int:
    command = CancelAllEnrollments(reason=CancellationReason.SESSION_CANCELLED)
    count = await _on_session(conn, rosters, session_id, command, cause)
    log.info("session.enrollments_cancelled", session_id=str(session_id), count=count)
    return count


async def fill_free_seats(
    conn: asyncpg.Connection, rosters: Rosters, session_id: UUID, capacity: int, cause: Envelope
) -> int:
    return await _on_session(conn, rosters, session_id, FillFreeSeats(capacity=capacity), cause)


# Completing a path joins two projections fed by two streams: the agent's completions (from
# enrollment's own events) and the published paths (from the catalogue's). Both reactions take this
# transaction-scoped lock before they read the other one's table, so that of a course's last
# completion and its path's publication, committed at the same moment in the two consumers, the
# second to take the lock sees the first (read committed) and completes the path.
PATH_COMPLETION_LOCK = "SELECT pg_advisory_xact_lock(hashtext('campus.enrollment.path-completion'))"


async def complete_paths(conn: asyncpg.Connection, agent_id: UUID, course_id: UUID, cause: Envelope) -> None:
    """After a completion: every published learning path whose courses are now all completed is
    completed (a draft path is in no catalogue: nobody follows it yet)."""
    await conn.execute(PATH_COMPLETION_LOCK)
    paths = await conn.fetch(
        "SELECT path_id, course_ids FROM catalog_paths WHERE $1 = ANY(course_ids) AND published", course_id
    )
    for path in paths:
        await _complete_path(conn, agent_id, path["path_id"], path["course_ids"], cause)


async def path_published(conn: asyncpg.Connection, path_id: UUID, cause: Envelope) -> int:
    """A path enters the catalogue: the agents who had already completed all its courses have
    completed it (as they would have had it been published first)."""
    await conn.execute(PATH_COMPLETION_LOCK)
    course_ids = await conn.fetchval(
        "UPDATE catalog_paths SET published = true WHERE path_id = $1 RETURNING course_ids", path_id
    )
    if not course_ids:
        return 0
    rows = await conn.fetch(  # every completion of the path's courses, one query whatever the agents
        "SELECT DISTINCT ON (agent_id, course_id) agent_id, course_id, enrollment_id, ministry FROM enrollments"
        " WHERE status = 'completed' AND course_id = ANY($1::uuid[]) ORDER BY agent_id, course_id, completed_at",
        course_ids,
    )
    by_agent: dict[UUID, list[asyncpg.Record]] = {}
    for row in rows:
        by_agent.setdefault(row["agent_id"], []).append(row)
    completed = 0
    for agent_id, done in by_agent.items():
        completed += await _append_completion(conn, agent_id, path_id, course_ids, done, cause)
    log.info("path.published", path_id=str(path_id), completed=completed)
    return completed


async def _complete_path(
    conn: asyncpg.Connection, agent_id: UUID, path_id: UUID, course_ids: list[UUID], cause: Envelope
) -> int:
    """``LearningPathCompleted`` for the agent if every course of the path is completed."""
    done = await conn.fetch(
        "SELECT DISTINCT ON (course_id) course_id, enrollment_id, ministry FROM enrollments"
        " WHERE agent_id = $1 AND status = 'completed' AND course_id = ANY($2::uuid[])"
        " ORDER BY course_id, completed_at",
        agent_id,
        course_ids,
    )
    return await _append_completion(conn, agent_id, path_id, course_ids, done, cause)


async def _append_completion(
    conn: asyncpg.Connection,
    agent_id: UUID,
    path_id: UUID,
    course_ids: list[UUID],
    done: list[asyncpg.Record],
    cause: Envelope,
) -> int:
    """From the agent's completed enrolments of the path's courses (``done``, one per course, the
    first completed): ``LearningPathCompleted`` once — 1, or 0 when a course is missing or when the
    path was completed already."""
    if len(done) < len(set(course_ids)):
        return 0
    by_course = {r["course_id"]: r for r in done}
    event = LearningPathCompleted(
        path_id=path_id,
        agent_id=agent_id,
        ministry=done[0]["ministry"],
        course_ids=list(course_ids),
        enrollment_ids=[by_course[c]["enrollment_id"] for c in course_ids],
        completed_at=datetime.now(UTC),
    )
    stream = path_completion_stream(agent_id, path_id)
    try:  # expected version 0: a path is completed once, however often this runs
        await _append(conn, [_wrap(event, event.ministry, stream, cause)], stream, 0)
    except ConcurrencyError:
        return 0
    return 1

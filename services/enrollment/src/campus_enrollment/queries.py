"""Reads of the enrolment read model: one enrolment, an agent's list, seats, statistics."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from campus_service import UnprocessableError

from .api.schemas import EnrollmentOut

# The current place in line is the rank among those still waiting, in arrival order.
SELECT = """
SELECT e.*, CASE WHEN e.status = 'waitlisted' THEN (
    SELECT count(*) FROM enrollments w
    WHERE w.session_id = e.session_id AND w.status = 'waitlisted' AND w.waitlist_seq <= e.waitlist_seq
) END AS waitlist_position
FROM enrollments e
"""


def to_out(row: asyncpg.Record) -> EnrollmentOut:
    return EnrollmentOut(
        id=row["enrollment_id"],
        agent_id=row["agent_id"],
        ministry=row["ministry"],
        course_id=row["course_id"],
        session_id=row["session_id"],
        status=row["status"],
        waitlist_position=row["waitlist_position"],
        enrolled_by=row["enrolled_by"],
        attestation_id=row["attestation_id"],
        completed_at=row["completed_at"],
        score=row["score"],
        comment=row["comment"],
    )


async def enrollment(pool: asyncpg.Pool, enrollment_id: UUID) -> asyncpg.Record | None:
    return await pool.fetchrow(SELECT + " WHERE e.enrollment_id = $1", enrollment_id)


def encode_cursor(at: datetime, enrollment_id: UUID) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{enrollment_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        at, _, ident = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        # An instant with no UTC equivalent (year 1 at +14:00) is no cursor of ours either.
        return datetime.fromisoformat(at).astimezone(UTC), UUID(ident)
    except (ValueError, UnicodeDecodeError, OverflowError):
        raise UnprocessableError("cursor: not a cursor this service gave") from None


async def agent_enrollments(
    pool: asyncpg.Pool, agent_id: UUID, limit: int, cursor: str | None
) -> tuple[list[EnrollmentOut], str | None]:
    return await _page(pool, "e.agent_id = $1", [agent_id], limit, cursor)


async def session_enrollments(
    pool: asyncpg.Pool, session_id: UUID, status: str | None, limit: int, cursor: str | None
) -> tuple[list[EnrollmentOut], str | None]:
    """A session's roster, in enrolment order (``status``: only those)."""
    if status is None:
        return await _page(pool, "e.session_id = $1", [session_id], limit, cursor)
    return await _page(pool, "e.session_id = $1 AND e.status = $2", [session_id, status], limit, cursor)


async def _page(
    pool: asyncpg.Pool, where: str, args: list[Any], limit: int, cursor: str | None
) -> tuple[list[EnrollmentOut], str | None]:
    """The enrolments ``where`` holds (its parameters ``args``), ``limit`` of them after ``cursor``."""
    n = len(args)
    args = [*args, limit + 1]
    if cursor:
        where += f" AND (e.enrolled_at, e.enrollment_id) > (${n + 2}, ${n + 3})"
        args += list(decode_cursor(cursor))
    rows = await pool.fetch(
        f"{SELECT} WHERE {where} ORDER BY e.enrolled_at, e.enrollment_id LIMIT ${n + 1}", *args
    )
    items = [to_out(r) for r in rows[:limit]]
    more = len(rows) > limit
    last = rows[limit - 1] if more else None
    return items, encode_cursor(last["enrolled_at"], last["enrollment_id"]) if last else None


async def seats(pool: asyncpg.Pool, session_id: UUID) -> asyncpg.Record | None:
    return await pool.fetchrow(
        "SELECT s.session_id, s.capacity, s.cancelled,"
        " count(*) FILTER (WHERE e.status IN ('enrolled', 'completed')) AS enrolled,"
        " count(*) FILTER (WHERE e.status = 'waitlisted') AS waitlisted"
        " FROM catalog_sessions s LEFT JOIN enrollments e ON e.session_id = s.session_id"
        " WHERE s.session_id = $1 GROUP BY s.session_id",
        session_id,
    )


FIGURES = """
count(*) AS enrollments,
count(*) FILTER (WHERE e.status = 'completed') AS completions,
count(DISTINCT e.agent_id) FILTER (WHERE e.status = 'completed') AS agents_trained,
count(e.score) AS ratings,
round(avg(e.score), 2)::float AS average_score
"""


async def stats(pool: asyncpg.Pool, ministry: str | None) -> dict[str, Any]:
    scope, args = (" WHERE e.ministry = $1", [ministry]) if ministry else ("", [])
    courses = "FROM enrollments e LEFT JOIN catalog_courses c ON c.course_id = e.course_id" + scope
    themes = (
        "FROM enrollments e JOIN catalog_courses c ON c.course_id = e.course_id"
        " CROSS JOIN LATERAL unnest(c.themes) AS theme" + scope
    )
    total = await pool.fetchrow(f"SELECT {FIGURES} {courses}", *args)
    by_course = await pool.fetch(
        f"SELECT e.course_id, c.title, {FIGURES} {courses} GROUP BY e.course_id, c.title"
        " ORDER BY completions DESC, e.course_id",
        *args,
    )
    by_theme = await pool.fetch(f"SELECT theme, {FIGURES} {themes} GROUP BY theme ORDER BY theme", *args)
    by_ministry = await pool.fetch(
        f"SELECT e.ministry, {FIGURES} {courses} GROUP BY e.ministry ORDER BY e.ministry", *args
    )
    return {
        **dict(total or {}),
        "ministry": ministry,
        "by_course": [dict(r) for r in by_course],
        "by_theme": [dict(r) for r in by_theme],
        "by_ministry": [dict(r) for r in by_ministry],
    }

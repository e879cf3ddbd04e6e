"""Reads of the projections (eventually consistent read models)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

KINDS = ("pedagogical_engineering", "face_to_face", "evaluation")


async def _fetch(pool: asyncpg.Pool, sql: str, *args: Any) -> list[asyncpg.Record]:
    return list(await pool.fetch(sql, *args))


async def trainer_record(pool: asyncpg.Pool, trainer_id: UUID) -> dict[str, list[UUID]]:
    """The ids of the courses a trainer proposed and had published, and of the sessions delivered.

    A session counts as delivered when it was not cancelled and either has ended or has a completion.
    """
    courses = await _fetch(
        pool,
        "SELECT course_id, published_at IS NOT NULL AS published FROM catalog_courses"
        " WHERE proposed_by = $1 ORDER BY proposed_at, course_id",
        trainer_id,
    )
    sessions = await _fetch(
        pool,
        "SELECT session_id FROM catalog_sessions WHERE $1 = ANY(trainer_ids) AND NOT cancelled"
        " AND (completed OR ends_at < now()) ORDER BY starts_at, session_id",
        trainer_id,
    )
    return {
        "courses_proposed": [r["course_id"] for r in courses],
        "courses_published": [r["course_id"] for r in courses if r["published"]],
        "sessions_delivered": [r["session_id"] for r in sessions],
    }


async def trainer_row(pool: asyncpg.Pool, trainer_id: UUID) -> asyncpg.Record | None:
    return await pool.fetchrow(
        "SELECT d.*, p.bio, p.availability FROM trainer_directory d"
        " LEFT JOIN trainer_profiles_private p USING (trainer_id) WHERE d.trainer_id = $1",
        trainer_id,
    )


async def directory(
    pool: asyncpg.Pool, *, expertise: list[str], include_withdrawn: bool, offset: int, limit: int
) -> list[asyncpg.Record]:
    """Trainers having all the ``expertise`` themes asked for, oldest registration first."""
    return await _fetch(
        pool,
        "SELECT d.*, p.bio, p.availability FROM trainer_directory d"
        " LEFT JOIN trainer_profiles_private p USING (trainer_id)"
        " WHERE d.expertise @> $1::text[] AND ($2 OR NOT d.withdrawn)"
        " ORDER BY d.registered_at, d.trainer_id OFFSET $3 LIMIT $4",
        expertise,
        include_withdrawn,
        offset,
        limit,
    )


async def ideas(
    pool: asyncpg.Pool, *, sort: str, theme: str | None, offset: int, limit: int
) -> list[asyncpg.Record]:
    order = "support_count DESC, shared_at DESC" if sort == "support" else "shared_at DESC"
    return await _fetch(
        pool,
        f"SELECT * FROM training_ideas WHERE ($1::text IS NULL OR $1 = ANY(themes))"
        f" ORDER BY {order}, idea_id OFFSET $2 LIMIT $3",
        theme,
        offset,
        limit,
    )


async def idea(pool: asyncpg.Pool, idea_id: UUID) -> asyncpg.Record | None:
    return await pool.fetchrow("SELECT * FROM training_ideas WHERE idea_id = $1", idea_id)


async def support_requests(
    pool: asyncpg.Pool, *, trainer_id: UUID | None, status: str | None, offset: int, limit: int
) -> list[asyncpg.Record]:
    return await _fetch(
        pool,
        "SELECT * FROM support_requests WHERE ($1::uuid IS NULL OR trainer_id = $1)"
        " AND ($2::text IS NULL OR status = $2) ORDER BY requested_at, support_request_id OFFSET $3 LIMIT $4",
        trainer_id,
        status,
        offset,
        limit,
    )


async def support_request(pool: asyncpg.Pool, request_id: UUID) -> asyncpg.Record | None:
    return await pool.fetchrow("SELECT * FROM support_requests WHERE support_request_id = $1", request_id)


async def activities(
    pool: asyncpg.Pool, trainer_id: UUID, year: int, *, offset: int, limit: int
) -> list[asyncpg.Record]:
    return await _fetch(
        pool,
        "SELECT * FROM training_activities WHERE trainer_id = $1 AND extract(year FROM day) = $2"
        " ORDER BY day, logged_at, activity_id OFFSET $3 LIMIT $4",
        trainer_id,
        year,
        offset,
        limit,
    )


def totals(rows: list[Any]) -> dict[str, int]:
    """``{kind: minutes, …, "total": minutes}`` from rows of ``kind`` and ``minutes``."""
    out = dict.fromkeys(KINDS, 0)
    for row in rows:
        out[row["kind"]] = out.get(row["kind"], 0) + int(row["minutes"])
    out["total"] = sum(out[k] for k in KINDS)
    return out


async def trainer_year_totals(pool: asyncpg.Pool, trainer_id: UUID, year: int) -> dict[str, int]:
    rows = await _fetch(
        pool,
        "SELECT kind, sum(minutes) AS minutes FROM training_activities"
        " WHERE trainer_id = $1 AND extract(year FROM day) = $2 GROUP BY kind",
        trainer_id,
        year,
    )
    return totals(rows)


async def year_totals(pool: asyncpg.Pool, year: int, ministry: str | None = None) -> list[asyncpg.Record]:
    """Minutes per ministry, trainer and kind over a year (the basis of remuneration)."""
    return await _fetch(
        pool,
        "SELECT ministry, trainer_id, kind, sum(minutes) AS minutes FROM training_activities"
        " WHERE extract(year FROM day) = $1 AND ($2::text IS NULL OR ministry = $2)"
        " GROUP BY ministry, trainer_id, kind ORDER BY ministry, trainer_id, kind",
        year,
        ministry,
    )

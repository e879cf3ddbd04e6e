"""Reads of the catalogue projection and of the personal-details table (the handlers' inputs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg


@dataclass(frozen=True)
class Course:
    course_id: UUID
    title: str
    pace: str
    status: str
    themes: list[str]


@dataclass(frozen=True)
class Session:
    session_id: UUID
    course_id: UUID
    starts_at: datetime
    ends_at: datetime
    capacity: int
    cancelled: bool
    trainer_ids: list[UUID]


async def course(conn: asyncpg.Pool | asyncpg.Connection, course_id: UUID) -> Course | None:
    row = await conn.fetchrow(
        "SELECT course_id, title, pace, status, themes FROM catalog_courses WHERE course_id = $1", course_id
    )
    return None if row is None else Course(**dict(row))


async def session(conn: asyncpg.Pool | asyncpg.Connection, session_id: UUID) -> Session | None:
    row = await conn.fetchrow(
        "SELECT session_id, course_id, starts_at, ends_at, capacity, cancelled, trainer_ids"
        " FROM catalog_sessions WHERE session_id = $1",
        session_id,
    )
    return None if row is None else Session(**dict(row))


async def trainer_active(pool: asyncpg.Pool, trainer_id: UUID) -> bool:
    active = await pool.fetchval("SELECT active FROM known_trainers WHERE trainer_id = $1", trainer_id)
    return bool(active)


async def profile_ministry(pool: asyncpg.Pool, agent_id: UUID) -> tuple[bool, str | None]:
    """(known, ministry) of an agent who has used the service."""
    row = await pool.fetchrow("SELECT ministry FROM agent_profiles WHERE agent_id = $1", agent_id)
    return (False, None) if row is None else (True, row["ministry"])


async def remember_agent(
    pool: asyncpg.Pool,
    agent_id: UUID,
    ministry: str | None,
    email: str | None,
    given: str | None,
    usual: str | None,
) -> None:
    # A claim the token does not carry keeps what an earlier token said (a gateway may send the
    # identity claims only at sign-in): the attestation keeps the agent's name until erasure.
    await pool.execute(
        "INSERT INTO agent_profiles AS p (agent_id, ministry, email, given_name, usual_name)"
        " VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (agent_id) DO UPDATE SET ministry = coalesce(excluded.ministry, p.ministry),"
        " email = coalesce(excluded.email, p.email), given_name = coalesce(excluded.given_name, p.given_name),"
        " usual_name = coalesce(excluded.usual_name, p.usual_name), updated_at = now()"
        " WHERE (p.ministry, p.email, p.given_name, p.usual_name) IS DISTINCT FROM"
        " (coalesce(excluded.ministry, p.ministry), coalesce(excluded.email, p.email),"
        " coalesce(excluded.given_name, p.given_name), coalesce(excluded.usual_name, p.usual_name))",
        agent_id,
        ministry,
        email,
        given,
        usual,
    )


async def locate(pool: asyncpg.Pool, enrollment_id: UUID) -> dict[str, object] | None:
    """An enrolment's stream and first event data, from the event store (never lags behind a write)."""
    row = await pool.fetchrow(
        "SELECT stream, data FROM events WHERE context = 'enrollment' AND data->>'enrollment_id' = $1"
        " ORDER BY position LIMIT 1",
        str(enrollment_id),
    )
    return None if row is None else {"stream": row["stream"], **row["data"]}

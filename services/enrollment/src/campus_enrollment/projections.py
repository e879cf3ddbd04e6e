"""The enrollment service's read models, fed from JetStream (one ``Projection`` per consumer).

``catalog``: courses, sessions and paths (a cancelled session cancels its enrolments, a larger
capacity promotes the waitlist); ``trainers``: who is a registered trainer; ``enrollments``:
one row per enrolment. Each apply is an upsert or a guarded update: replaying is harmless.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from campus_events.consumer import Projection
from campus_events.envelope import Envelope

from . import reactions
from .rosters import Rosters


def _ids(values: list[str]) -> list[UUID]:
    return [UUID(v) for v in values]


def catalog_projection(rosters: Rosters) -> Projection:
    async def apply(conn: asyncpg.Connection, env: Envelope) -> None:
        d = env.data
        match env.type:
            case "CourseProposed" | "CourseRevised":
                await conn.execute(
                    "INSERT INTO catalog_courses (course_id, title, pace, themes) VALUES ($1, $2, $3, $4)"
                    " ON CONFLICT (course_id) DO UPDATE SET title = excluded.title, pace = excluded.pace,"
                    " themes = excluded.themes, updated_at = now()",
                    UUID(d["course_id"]),
                    d["title"],
                    d.get("pace") or "self_paced",
                    d.get("themes") or [],
                )
            case "CoursePublished" | "CourseRejected" | "CourseArchived":
                status = {"CoursePublished": "published", "CourseRejected": "rejected"}.get(
                    env.type, "archived"
                )
                await conn.execute(
                    "UPDATE catalog_courses SET status = $2, updated_at = now() WHERE course_id = $1",
                    UUID(d["course_id"]),
                    status,
                )
            case "SessionScheduled":
                await conn.execute(
                    "INSERT INTO catalog_sessions (session_id, course_id, starts_at, ends_at, capacity, trainer_ids)"
                    " VALUES ($1, $2, $3::text::timestamptz, $4::text::timestamptz, $5, $6)"
                    " ON CONFLICT (session_id) DO NOTHING",
                    UUID(d["session_id"]),
                    UUID(d["course_id"]),
                    d["starts_at"],
                    d["ends_at"],
                    d["capacity"],
                    _ids(d.get("trainer_ids") or []),
                )
            case "SessionRescheduled":
                await conn.execute(
                    "UPDATE catalog_sessions SET starts_at = $2::text::timestamptz, ends_at = $3::text::timestamptz,"
                    " trainer_ids = $4, updated_at = now() WHERE session_id = $1",
                    UUID(d["session_id"]),
                    d["starts_at"],
                    d["ends_at"],
                    _ids(d.get("trainer_ids") or []),
                )
            case "SessionCapacityChanged":
                session_id = UUID(d["session_id"])
                cancelled = await conn.fetchval(
                    "UPDATE catalog_sessions SET capacity = $2, updated_at = now() WHERE session_id = $1"
                    " RETURNING cancelled",
                    session_id,
                    d["capacity"],
                )
                if cancelled is False:
                    await reactions.fill_free_seats(conn, rosters, session_id, d["capacity"], env)
            case "SessionCancelled":
                session_id = UUID(d["session_id"])
                await conn.execute(
                    "UPDATE catalog_sessions SET cancelled = true, updated_at = now() WHERE session_id = $1",
                    session_id,
                )
                await reactions.cancel_session(conn, rosters, session_id, env)
            case "LearningPathDefined":
                await conn.execute(
                    "INSERT INTO catalog_paths (path_id, course_ids) VALUES ($1, $2)"
                    " ON CONFLICT (path_id) DO UPDATE SET course_ids = excluded.course_ids",
                    UUID(d["path_id"]),
                    _ids(d["course_ids"]),
                )
            case "LearningPathPublished":
                await reactions.path_published(conn, UUID(d["path_id"]), env)

    return Projection("enrollment-catalog", "CAMPUS_CATALOG", ("campus.catalog.>",), apply)


async def apply_trainers(conn: asyncpg.Connection, env: Envelope) -> None:
    if env.type in ("TrainerRegistered", "TrainerProfileUpdated", "TrainerWithdrawn"):
        await conn.execute(
            "INSERT INTO known_trainers (trainer_id, active) VALUES ($1, $2)"
            " ON CONFLICT (trainer_id) DO UPDATE SET active = excluded.active",
            UUID(env.data["trainer_id"]),
            env.type != "TrainerWithdrawn",
        )


TRAINERS = Projection(
    "enrollment-trainers",
    "CAMPUS_TRAINERS",
    ("campus.trainers.public.trainer.>",),
    apply_trainers,
    tables=("known_trainers",),
)
# enrollment-catalog and enrollment-enrollments declare no tables: their apply issues commands
# (reactions), which a rebuild must not issue again. They cannot be replayed into shadow tables.

# Per event type: the columns it sets on the enrolment's row.
UPDATES = {
    "WaitlistPromoted": "status = 'enrolled', waitlist_seq = NULL",
    "EnrollmentCancelled": "status = 'cancelled', waitlist_seq = NULL, cancelled_reason = $3::jsonb->>'reason'",
    "CourseCompleted": "status = 'completed', completed_at = ($3::jsonb->>'completed_at')::timestamptz,"
    " attestation_id = ($3::jsonb->>'attestation_id')::uuid, completed_by = ($3::jsonb->>'completed_by')::uuid",
    "CourseRated": "score = ($3::jsonb->>'score')::integer, comment = $3::jsonb->>'comment'",
}


async def apply_enrollments(conn: asyncpg.Connection, env: Envelope) -> None:
    d = env.data
    if env.type in ("AgentEnrolled", "AgentWaitlisted"):
        waiting = env.type == "AgentWaitlisted"
        await conn.execute(
            "INSERT INTO enrollments (enrollment_id, stream, agent_id, ministry, course_id, session_id, status,"
            " enrolled_by, waitlist_seq, enrolled_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            " ON CONFLICT (enrollment_id) DO NOTHING",
            UUID(d["enrollment_id"]),
            env.stream,
            UUID(d["agent_id"]),
            d["ministry"],
            UUID(d["course_id"]),
            UUID(d["session_id"]) if d.get("session_id") else None,
            "waitlisted" if waiting else "enrolled",
            UUID(d["enrolled_by"]),
            env.stream_version if waiting else None,
            env.occurred_at,
            env.stream_version,
        )
    elif (update := UPDATES.get(env.type)) is not None:
        # The version guard makes a replayed (older) event a no-op.
        await conn.execute(
            f"UPDATE enrollments SET {update}, version = $2, updated_at = now()"
            " WHERE enrollment_id = $1 AND version < $2 AND $3::jsonb IS NOT NULL",
            UUID(d["enrollment_id"]),
            env.stream_version,
            d,
        )
        if env.type == "CourseCompleted":
            await reactions.complete_paths(conn, UUID(d["agent_id"]), UUID(d["course_id"]), env)


ENROLLMENTS = Projection(
    "enrollment-enrollments", "CAMPUS_ENROLLMENT", ("campus.enrollment.>",), apply_enrollments
)


def projections(rosters: Rosters) -> list[Projection]:
    return [catalog_projection(rosters), TRAINERS, ENROLLMENTS]


def operator_projections() -> list[Projection]:
    """The projections as an operator's tool runs them outside the service (`campus dead-letters
    retry`, `campus replay`): with a roster cache of their own (their appends still check each
    stream's version)."""
    return projections(Rosters())

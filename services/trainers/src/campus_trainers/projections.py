"""The trainers service's read models, fed from JetStream (one ``Projection`` per consumer).

Each ``apply`` ignores the event types it does not handle and is written as upserts, so that
replaying an aggregate's events in order gives the same rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from campus_events.consumer import Projection
from campus_events.envelope import Envelope


def _uuid(value: Any) -> UUID | None:
    return None if value is None else UUID(str(value))


async def apply_trainers(conn: asyncpg.Connection, envelope: Envelope) -> None:
    """The service's own events: directory, ideas, support requests, activities."""
    data, at = envelope.data, envelope.occurred_at
    match envelope.type:
        case "TrainerRegistered" | "TrainerProfileUpdated":
            await conn.execute(
                "INSERT INTO trainer_directory (trainer_id, ministry, kind, expertise, withdrawn,"
                " registered_at, updated_at) VALUES ($1, $2, $3, $4, false, $5, $5)"
                " ON CONFLICT (trainer_id) DO UPDATE SET ministry = $2, kind = $3, expertise = $4,"
                " withdrawn = CASE WHEN $6 THEN false ELSE trainer_directory.withdrawn END, updated_at = $5",
                _uuid(data["trainer_id"]),
                data["ministry"],
                data["kind"],
                list(data.get("expertise") or []),
                at,
                envelope.type == "TrainerRegistered",
            )
        case "TrainerWithdrawn":
            await conn.execute(
                "UPDATE trainer_directory SET withdrawn = true, updated_at = $2 WHERE trainer_id = $1",
                _uuid(data["trainer_id"]),
                at,
            )
        case "TrainingIdeaShared":
            await conn.execute(
                "INSERT INTO training_ideas (idea_id, title, description, themes, shared_by, shared_at)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idea_id) DO NOTHING",
                _uuid(data["idea_id"]),
                data["title"],
                data["description"],
                list(data.get("themes") or []),
                _uuid(data["shared_by"]),
                at,
            )
        case "TrainingIdeaSupported":
            idea_id = _uuid(data["idea_id"])
            await conn.execute(
                "INSERT INTO training_idea_supporters (idea_id, agent_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                idea_id,
                _uuid(data["agent_id"]),
            )
            await conn.execute(
                "UPDATE training_ideas SET support_count ="
                " (SELECT count(*) FROM training_idea_supporters WHERE idea_id = $1) WHERE idea_id = $1",
                idea_id,
            )
        case "SupportRequested":
            await conn.execute(
                "INSERT INTO support_requests (support_request_id, trainer_id, title, description,"
                " course_id, themes, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                " ON CONFLICT (support_request_id) DO NOTHING",
                _uuid(data["support_request_id"]),
                _uuid(data["trainer_id"]),
                data["title"],
                data["description"],
                _uuid(data.get("course_id")),
                list(data.get("themes") or []),
                at,
            )
        case "SupportRequestResolved":
            await conn.execute(
                "UPDATE support_requests SET status = 'resolved', resolution = $2, resolved_at = $3"
                " WHERE support_request_id = $1",
                _uuid(data["support_request_id"]),
                data["resolution"],
                at,
            )
        case "TrainingActivityLogged":
            await conn.execute(
                "INSERT INTO training_activities (activity_id, trainer_id, ministry, kind, minutes, day,"
                " course_id, session_id, logged_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                " ON CONFLICT (activity_id) DO NOTHING",
                _uuid(data["activity_id"]),
                _uuid(data["trainer_id"]),
                data["ministry"],
                data["kind"],
                int(data["minutes"]),
                datetime.fromisoformat(data["day"]).date(),
                _uuid(data.get("course_id")),
                _uuid(data.get("session_id")),
                at,
            )


async def apply_catalog(conn: asyncpg.Connection, envelope: Envelope) -> None:
    """Who proposed which course, which were published, and who trains which session."""
    data, at = envelope.data, envelope.occurred_at
    match envelope.type:
        case "CourseProposed":
            # The status is left alone on conflict: a replay must not undo a later publication.
            await conn.execute(
                "INSERT INTO catalog_courses (course_id, proposed_by, status, proposed_at)"
                " VALUES ($1, $2, 'proposed', $3)"
                " ON CONFLICT (course_id) DO UPDATE SET proposed_by = $2, proposed_at = $3",
                _uuid(data["course_id"]),
                _uuid(data["proposed_by"]),
                at,
            )
        case "CoursePublished" | "CourseRejected" | "CourseArchived":
            status = {"CoursePublished": "published", "CourseRejected": "rejected"}.get(
                envelope.type, "archived"
            )
            await conn.execute(
                "INSERT INTO catalog_courses (course_id, status, published_at) VALUES ($1, $2, $3)"
                " ON CONFLICT (course_id) DO UPDATE SET status = $2,"
                " published_at = COALESCE(catalog_courses.published_at, $3)",
                _uuid(data["course_id"]),
                status,
                at if envelope.type == "CoursePublished" else None,
            )
        case "SessionScheduled" | "SessionRescheduled":
            trainer_ids = [_uuid(t) for t in data.get("trainer_ids") or []]
            # A rescheduling without trainers keeps the ones known (the list is optional there).
            await conn.execute(
                "INSERT INTO catalog_sessions (session_id, course_id, trainer_ids, starts_at, ends_at)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id) DO UPDATE SET"
                " trainer_ids = CASE WHEN cardinality($3::uuid[]) > 0 OR $6"
                " THEN $3 ELSE catalog_sessions.trainer_ids END,"
                " course_id = $2, starts_at = $4, ends_at = $5",
                _uuid(data["session_id"]),
                _uuid(data["course_id"]),
                trainer_ids,
                datetime.fromisoformat(data["starts_at"]),
                datetime.fromisoformat(data["ends_at"]),
                envelope.type == "SessionScheduled",
            )
        case "SessionCancelled":
            await conn.execute(
                "UPDATE catalog_sessions SET cancelled = true WHERE session_id = $1",
                _uuid(data["session_id"]),
            )


async def apply_enrollment(conn: asyncpg.Connection, envelope: Envelope) -> None:
    """A completion in a session is proof that the session was delivered."""
    data = envelope.data
    if envelope.type == "CourseCompleted" and data.get("session_id"):
        await conn.execute(
            "INSERT INTO catalog_sessions (session_id, course_id, completed) VALUES ($1, $2, true)"
            " ON CONFLICT (session_id) DO UPDATE SET completed = true",
            _uuid(data["session_id"]),
            _uuid(data["course_id"]),
        )


PROJECTIONS: list[Projection] = [
    Projection(
        "trainers-community",
        "CAMPUS_TRAINERS",
        ("campus.trainers.>",),
        apply_trainers,
        tables=(
            "trainer_directory",
            "training_ideas",
            "training_idea_supporters",
            "support_requests",
            "training_activities",
        ),
    ),
    # trainers-catalog and trainers-completions share catalog_sessions: neither can be rebuilt alone.
    Projection("trainers-catalog", "CAMPUS_CATALOG", ("campus.catalog.>",), apply_catalog),
    Projection(
        "trainers-completions",
        "CAMPUS_ENROLLMENT",
        ("campus.enrollment.*.enrollment.CourseCompleted",),
        apply_enrollment,
    ),
]

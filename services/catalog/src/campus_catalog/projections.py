"""The catalog service's read models, fed from JetStream (one ``Projection`` per consumer).

Every row keeps the stream version it reflects; an update applies only to an older row, so a
redelivered or replayed event changes nothing twice and events of one aggregate replay in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from campus_events.consumer import Projection
from campus_events.envelope import Envelope

DESCRIPTION = (
    "title", "kind", "summary", "modality", "themes", "objectives", "duration", "duration_minutes",
    "pace", "sub_themes", "audiences", "organizers", "registration_url", "language",
)  # fmt: skip
STATUS_OF = {"CoursePublished": "published", "CourseRejected": "rejected", "CourseArchived": "archived"}


def _description(data: dict[str, Any]) -> list[Any]:
    values = [data.get(f) for f in DESCRIPTION]
    return [*values, "\n".join(data.get("objectives") or [])]


async def apply_catalog(conn: asyncpg.Connection, envelope: Envelope) -> None:
    data, version, kind = envelope.data, envelope.stream_version, envelope.type
    if kind == "CourseProposed":
        columns = ", ".join(DESCRIPTION)
        params = ", ".join(f"${i}" for i in range(6, 6 + len(DESCRIPTION) + 1))
        await conn.execute(
            f"INSERT INTO catalog_courses (course_id, version, status, proposed_by, proposed_at, {columns},"
            f" objectives_text, updated_at) VALUES ($1, $2, $3, $4, $5, {params}, $5)"
            " ON CONFLICT (course_id) DO NOTHING",
            UUID(data["course_id"]), version, "proposed", UUID(data["proposed_by"]), envelope.occurred_at,
            *_description(data),
        )  # fmt: skip
    elif kind == "CourseRevised":
        sets = ", ".join(f"{f} = ${i}" for i, f in enumerate(DESCRIPTION, start=4))
        await conn.execute(
            f"UPDATE catalog_courses SET version = $2, updated_at = $3, {sets},"
            f" objectives_text = ${4 + len(DESCRIPTION)} WHERE course_id = $1 AND version < $2",
            UUID(data["course_id"]), version, envelope.occurred_at, *_description(data),
        )  # fmt: skip
    elif kind in STATUS_OF:
        await conn.execute(
            "UPDATE catalog_courses SET version = $2, status = $3, updated_at = $4"
            " WHERE course_id = $1 AND version < $2",
            UUID(data["course_id"]), version, STATUS_OF[kind], envelope.occurred_at,
        )  # fmt: skip
    elif kind in ("SessionScheduled", "SessionRescheduled"):
        await _apply_session_place(conn, envelope)
    elif kind == "SessionCapacityChanged":
        await conn.execute(
            "UPDATE catalog_sessions SET version = $2, capacity = $3 WHERE session_id = $1 AND version < $2",
            UUID(data["session_id"]), version, data["capacity"],
        )  # fmt: skip
    elif kind == "SessionCancelled":
        await conn.execute(
            "UPDATE catalog_sessions SET version = $2, status = 'cancelled' WHERE session_id = $1 AND version < $2",
            UUID(data["session_id"]), version,
        )  # fmt: skip
    elif kind == "LearningPathDefined":
        await conn.execute(
            "INSERT INTO catalog_paths (path_id, version, status, title, summary, course_ids, target_job,"
            " reconversion, themes, defined_at) VALUES ($1, $2, 'draft', $3, $4, $5::uuid[], $6, $7, $8, $9)"
            " ON CONFLICT (path_id) DO UPDATE SET version = EXCLUDED.version, title = EXCLUDED.title,"
            " summary = EXCLUDED.summary, course_ids = EXCLUDED.course_ids, target_job = EXCLUDED.target_job,"
            " reconversion = EXCLUDED.reconversion, themes = EXCLUDED.themes"
            " WHERE catalog_paths.version < EXCLUDED.version",
            UUID(data["path_id"]), version, data["title"], data.get("summary") or "",
            [UUID(c) for c in data["course_ids"]], data.get("target_job"), bool(data.get("reconversion")),
            data.get("themes") or [], envelope.occurred_at,
        )  # fmt: skip
    elif kind == "LearningPathPublished":
        await conn.execute(
            "UPDATE catalog_paths SET version = $2, status = 'published' WHERE path_id = $1 AND version < $2",
            UUID(data["path_id"]), version,
        )  # fmt: skip


async def _apply_session_place(conn: asyncpg.Connection, envelope: Envelope) -> None:
    data = envelope.data
    place = (
        data["starts_at"], data["ends_at"], data.get("location"), data.get("join_url"),
        [UUID(t) for t in data.get("trainer_ids") or []],
    )  # fmt: skip
    starts, ends = datetime.fromisoformat(place[0]), datetime.fromisoformat(place[1])
    if envelope.type == "SessionScheduled":
        await conn.execute(
            "INSERT INTO catalog_sessions (session_id, course_id, version, status, starts_at, ends_at, capacity,"
            " location, join_url, trainer_ids) VALUES ($1, $2, $3, 'scheduled', $4, $5, $6, $7, $8, $9::uuid[])"
            " ON CONFLICT (session_id) DO NOTHING",
            UUID(data["session_id"]), UUID(data["course_id"]), envelope.stream_version, starts, ends,
            data["capacity"], place[2], place[3], place[4],
        )  # fmt: skip
    else:
        await conn.execute(
            "UPDATE catalog_sessions SET version = $2, starts_at = $3, ends_at = $4, location = $5, join_url = $6,"
            " trainer_ids = $7::uuid[] WHERE session_id = $1 AND version < $2",
            UUID(data["session_id"]), envelope.stream_version, starts, ends, place[2], place[3], place[4],
        )  # fmt: skip


async def apply_trainers(conn: asyncpg.Connection, envelope: Envelope) -> None:
    data, version = envelope.data, envelope.stream_version
    if envelope.type in ("TrainerRegistered", "TrainerProfileUpdated"):
        # A profile update keeps a withdrawal; registering again lifts it.
        await conn.execute(
            "INSERT INTO registered_trainers (trainer_id, version, ministry, expertise) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (trainer_id) DO UPDATE SET version = EXCLUDED.version, ministry = EXCLUDED.ministry,"
            " expertise = EXCLUDED.expertise, withdrawn = registered_trainers.withdrawn AND NOT $5"
            " WHERE registered_trainers.version < EXCLUDED.version",
            UUID(data["trainer_id"]), version, data.get("ministry"), data.get("expertise") or [],
            envelope.type == "TrainerRegistered",
        )  # fmt: skip
    elif envelope.type == "TrainerWithdrawn":
        await conn.execute(
            "INSERT INTO registered_trainers (trainer_id, version, withdrawn) VALUES ($1, $2, true)"
            " ON CONFLICT (trainer_id) DO UPDATE SET version = EXCLUDED.version, withdrawn = true"
            " WHERE registered_trainers.version < EXCLUDED.version",
            UUID(data["trainer_id"]), version,
        )  # fmt: skip


PROJECTIONS: list[Projection] = [
    Projection(
        "catalog-read-models",
        "CAMPUS_CATALOG",
        ("campus.catalog.>",),
        apply_catalog,
        tables=("catalog_courses", "catalog_sessions", "catalog_paths"),
    ),
    Projection(
        "catalog-registered-trainers",
        "CAMPUS_TRAINERS",
        ("campus.trainers.public.trainer.>",),
        apply_trainers,
        tables=("registered_trainers",),
    ),
]

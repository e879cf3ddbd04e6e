"""The projects service's read models, fed from JetStream (one ``Projection`` per consumer).

Every table keeps the aggregate's stream version it last applied, so a redelivered or replayed
event of an aggregate is a no-op and a replay in order rebuilds the same rows.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from campus_events.consumer import Projection
from campus_events.contracts.projects import ProjectEvent
from campus_events.envelope import Envelope

from .domain.decider import evolve
from .domain.state import ProjectState
from .views import project_out


async def apply_project(conn: asyncpg.Connection, envelope: Envelope) -> None:
    event = envelope.event()
    if not isinstance(event, ProjectEvent):
        return
    row = await conn.fetchrow("SELECT version, state FROM projects WHERE project_id = $1", event.project_id)
    if row is not None and row["version"] >= envelope.stream_version:
        return  # already applied
    state = ProjectState() if row is None else ProjectState.model_validate(row["state"])
    state = evolve(state, event, envelope.occurred_at).model_copy(update={"version": envelope.stream_version})
    if not state.exists:
        return  # a stream whose opening this projection never saw: nothing to show
    await conn.execute(
        """INSERT INTO projects (project_id, ministry, title, stage, stage_entered_at, version, state, doc)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (project_id) DO UPDATE SET ministry = EXCLUDED.ministry, title = EXCLUDED.title,
             stage = EXCLUDED.stage, stage_entered_at = EXCLUDED.stage_entered_at,
             version = EXCLUDED.version, state = EXCLUDED.state, doc = EXCLUDED.doc""",
        event.project_id,
        state.ministry,
        state.title,
        state.stage.value,
        state.stage_entered_at,
        state.version,
        state.model_dump(mode="json"),
        project_out(state).model_dump(mode="json"),
    )


_FUNDING_STATUS = {
    "FundingReviewStarted": "under_review",
    "FundingApproved": "approved",
    "FundingRejected": "rejected",
    "FundingDismissed": "dismissed",
}


async def apply_funding(conn: asyncpg.Connection, envelope: Envelope) -> None:
    data, version = envelope.data, envelope.stream_version
    if envelope.type == "FundingRequested":
        await conn.execute(
            """INSERT INTO project_funding (request_id, project_id, envelope_id, ministry, status,
                 requested_cents, requested_at, version)
               VALUES ($1, $2, $3, $4, 'requested', $5, $6, $7) ON CONFLICT (request_id) DO NOTHING""",
            UUID(data["request_id"]),
            UUID(data["project_id"]),
            UUID(data["envelope_id"]),
            envelope.ministry,
            data["requested_cents"],
            envelope.occurred_at,
            version,
        )
        return
    if envelope.type in _FUNDING_STATUS:
        sets, args = "status = $3", [_FUNDING_STATUS[envelope.type]]
        if envelope.type == "FundingApproved":
            sets, args = "status = $3, granted_cents = $4", [*args, data["granted_cents"]]
    elif envelope.type == "FundingDisbursed":
        # Fully disbursed closes the request (CONTRACT: closed = fully disbursed or released).
        sets = (
            "disbursed_cents = disbursed_cents + $3, status = CASE WHEN disbursed_cents + $3 >= granted_cents"
            " THEN 'closed' ELSE status END"
        )
        args = [data["amount_cents"]]
    elif envelope.type == "FundingReleased":
        sets, args = "status = 'closed', released_cents = $3", [data["released_cents"]]
    else:
        return
    await conn.execute(
        f"UPDATE project_funding SET {sets}, version = $2 WHERE request_id = $1 AND version < $2",
        UUID(data["request_id"]),
        version,
        *args,
    )


_COURSE_STATUS = {
    "CourseProposed": "proposed",
    "CoursePublished": "published",
    "CourseRejected": "rejected",
    "CourseArchived": "archived",
}


async def apply_catalog(conn: asyncpg.Connection, envelope: Envelope) -> None:
    status = _COURSE_STATUS.get(envelope.type)
    if status is None:
        return
    await conn.execute(
        """INSERT INTO known_courses (course_id, status, version) VALUES ($1, $2, $3)
           ON CONFLICT (course_id) DO UPDATE SET status = EXCLUDED.status, version = EXCLUDED.version
           WHERE known_courses.version < EXCLUDED.version""",
        UUID(envelope.data["course_id"]),
        status,
        envelope.stream_version,
    )


async def apply_trainers(conn: asyncpg.Connection, envelope: Envelope) -> None:
    if envelope.type not in ("TrainerRegistered", "TrainerWithdrawn"):
        return
    await conn.execute(
        """INSERT INTO known_trainers (trainer_id, active, version) VALUES ($1, $2, $3)
           ON CONFLICT (trainer_id) DO UPDATE SET active = EXCLUDED.active, version = EXCLUDED.version
           WHERE known_trainers.version < EXCLUDED.version""",
        UUID(envelope.data["trainer_id"]),
        envelope.type == "TrainerRegistered",
        envelope.stream_version,
    )


PROJECTIONS: list[Projection] = [
    Projection(
        "projects-projects", "CAMPUS_PROJECTS", ("campus.projects.>",), apply_project, tables=("projects",)
    ),
    Projection(
        "projects-funding",
        "CAMPUS_FUNDING",
        ("campus.funding.*.request.>",),
        apply_funding,
        tables=("project_funding",),
    ),
    Projection(
        "projects-catalog",
        "CAMPUS_CATALOG",
        ("campus.catalog.public.course.>",),
        apply_catalog,
        tables=("known_courses",),
    ),
    Projection(
        "projects-trainers",
        "CAMPUS_TRAINERS",
        ("campus.trainers.public.trainer.>",),
        apply_trainers,
        tables=("known_trainers",),
    ),
]

"""One async function per command: load the project's stream, decide, and say what to append.

Each returns an ``Outcome`` whose expected version is the one the decision was made on, so a
concurrent change makes the kit run the command again on fresh state.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from campus_events.envelope import stream_id
from campus_events.ids import uuid7
from campus_events.store.base import EventStore
from campus_service import CommandContext, Outcome

from .api.errors import domain_errors
from .api.schemas import (
    AbandonIn,
    AdvanceIn,
    DesignIn,
    EvaluationIn,
    ImplementationIn,
    NeedsAnalysisIn,
    ProjectIn,
)
from .domain import commands as c
from .domain.decider import decide, evolve
from .domain.state import ProjectState
from .queries import known_course_ids, known_trainer_ids
from .views import project_out


def project_stream(project_id: UUID) -> str:
    return stream_id("project", project_id)


async def load_project(store: EventStore, project_id: UUID) -> ProjectState:
    state = ProjectState()
    for envelope in await store.read_stream(project_stream(project_id)):
        state = evolve(state, envelope.event(), envelope.occurred_at)  # type: ignore[arg-type]
    return state


async def _execute(
    store: EventStore, ctx: CommandContext, command: c.Command, *, status: int = 200, created: bool = False
) -> Outcome:
    state = await load_project(store, command.project_id)
    with domain_errors():
        events = decide(state, command)
    ministry = command.ministry if isinstance(command, c.OpenProject) else state.ministry
    envelopes = [ctx.envelope(e, command.project_id, ministry=ministry) for e in events]
    for event, envelope in zip(events, envelopes, strict=True):
        state = evolve(state, event, envelope.occurred_at)
    location = f"/v1/projects/{command.project_id}" if created else None
    expected = {project_stream(command.project_id): state.version - len(events)}
    return Outcome(envelopes, expected, project_out(state), status=status, location=location)


def _who(ctx: CommandContext, project_id: UUID) -> dict[str, object]:
    return {"project_id": project_id, "actor_id": ctx.principal.sub, "actor_is_staff": ctx.principal.is_staff}


async def open_project(store: EventStore, ctx: CommandContext, body: ProjectIn) -> Outcome:
    assert ctx.principal.ministry is not None  # the route requires a ministry in the token
    command = c.OpenProject(**_who(ctx, uuid7()), ministry=ctx.principal.ministry, **body.model_dump())
    return await _execute(store, ctx, command, status=201, created=True)


async def record_needs_analysis(
    store: EventStore, ctx: CommandContext, project_id: UUID, body: NeedsAnalysisIn
) -> Outcome:
    return await _execute(store, ctx, c.RecordNeedsAnalysis(**_who(ctx, project_id), **body.model_dump()))


async def design_training_path(
    store: EventStore, pool: asyncpg.Pool, ctx: CommandContext, project_id: UUID, body: DesignIn
) -> Outcome:
    course_ids = {m.course_id for m in body.modules if m.course_id is not None}
    trainer_ids = {t for m in body.modules for t in m.trainer_ids}
    async with pool.acquire() as conn:
        courses = await known_course_ids(conn, course_ids)
        trainers = await known_trainer_ids(conn, trainer_ids)
    command = c.DesignTrainingPath(
        **_who(ctx, project_id),
        **body.model_dump(),
        known_course_ids=frozenset(courses),
        known_trainer_ids=frozenset(trainers),
    )
    return await _execute(store, ctx, command)


async def advance_stage(store: EventStore, ctx: CommandContext, project_id: UUID, body: AdvanceIn) -> Outcome:
    return await _execute(store, ctx, c.AdvanceStage(**_who(ctx, project_id), to_stage=body.to_stage))


async def record_implementation(
    store: EventStore, ctx: CommandContext, project_id: UUID, body: ImplementationIn
) -> Outcome:
    return await _execute(store, ctx, c.RecordImplementation(**_who(ctx, project_id), **body.model_dump()))


async def record_evaluation(
    store: EventStore, ctx: CommandContext, project_id: UUID, body: EvaluationIn
) -> Outcome:
    return await _execute(store, ctx, c.RecordEvaluation(**_who(ctx, project_id), **body.model_dump()))


async def abandon_project(
    store: EventStore, ctx: CommandContext, project_id: UUID, body: AbandonIn
) -> Outcome:
    return await _execute(store, ctx, c.AbandonProject(**_who(ctx, project_id), reason=body.reason))

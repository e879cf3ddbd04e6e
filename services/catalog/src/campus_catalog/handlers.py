"""One async function per command: load the aggregate, fold, decide, return an ``Outcome``."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec
from uuid import UUID, uuid4

import asyncpg
from pydantic import ValidationError

from campus_events.envelope import stream_id
from campus_events.store.base import EventStore
from campus_service import ConflictError, ForbiddenError, NotFoundError, Outcome, UnprocessableError
from campus_service.idempotency import CommandContext

from .domain import commands as cmd
from .domain import errors
from .domain.decider import CourseState, PathState, SessionState, decide, fold
from .schemas import CourseOut, PathOut, SessionOut

P = ParamSpec("P")

HTTP_ERRORS: dict[type[errors.CatalogError], type[Exception]] = {
    errors.CourseNotFoundError: NotFoundError,
    errors.SessionNotFoundError: NotFoundError,
    errors.PathNotFoundError: NotFoundError,
    errors.InvalidTransitionError: ConflictError,
    errors.NotAllowedError: ForbiddenError,
    errors.InvalidCommandError: UnprocessableError,
}


def translated(handler: Callable[P, Awaitable[Outcome]]) -> Callable[P, Awaitable[Outcome]]:
    """Domain errors become the kit's problem errors (the one place where they map to HTTP)."""

    @functools.wraps(handler)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Outcome:
        try:
            return await handler(*args, **kwargs)
        except errors.CatalogError as exc:
            raise HTTP_ERRORS.get(type(exc), ConflictError)(str(exc)) from None

    return wrapper


async def load(store: EventStore, aggregate: str, aggregate_id: UUID, initial: Any) -> Any:
    envelopes = await store.read_stream(stream_id(aggregate, aggregate_id))
    return fold(initial, [e.event() for e in envelopes])


async def load_course(store: EventStore, course_id: UUID) -> CourseState:
    state: CourseState = await load(store, "course", course_id, CourseState())
    if not state.exists:
        raise errors.CourseNotFoundError(f"no course {course_id}")
    return state


def _outcome(
    ctx: CommandContext,
    aggregate: str,
    aggregate_id: UUID,
    state: Any,
    events: list[Any],
    out: Any,
    **kw: Any,
) -> Outcome:
    envelopes = [ctx.envelope(e, aggregate_id) for e in events]
    return Outcome(envelopes, {stream_id(aggregate, aggregate_id): state.version}, out, **kw)


@translated
async def propose_course(store: EventStore, ctx: CommandContext, body: cmd.CourseFields) -> Outcome:
    course_id = uuid4()
    state = CourseState()
    events = decide(
        state, cmd.ProposeCourse(course_id=course_id, proposed_by=ctx.principal.sub, description=body)
    )
    out = CourseOut.of(course_id, fold(state, events))
    return _outcome(
        ctx, "course", course_id, state, events, out, status=201, location=f"/v1/courses/{course_id}"
    )


@translated
async def revise_course(
    store: EventStore, ctx: CommandContext, course_id: UUID, changes: dict[str, Any]
) -> Outcome:
    state = await load_course(store, course_id)
    command = cmd.ReviseCourse(
        course_id=course_id, revised_by=ctx.principal.sub, by_staff=ctx.principal.is_staff, changes=changes
    )
    events = decide(state, command)
    return _outcome(ctx, "course", course_id, state, events, CourseOut.of(course_id, fold(state, events)))


@translated
async def change_course_status(store: EventStore, ctx: CommandContext, command: cmd.Command) -> Outcome:
    course_id: UUID = command.course_id  # type: ignore[attr-defined]
    state = await load_course(store, course_id)
    events = decide(state, command)
    return _outcome(ctx, "course", course_id, state, events, CourseOut.of(course_id, fold(state, events)))


async def unregistered_trainers(pool: asyncpg.Pool, trainer_ids: list[UUID]) -> list[UUID]:
    if not trainer_ids:
        return []
    rows = await pool.fetch(
        "SELECT trainer_id FROM registered_trainers WHERE trainer_id = ANY($1::uuid[]) AND NOT withdrawn",
        trainer_ids,
    )
    known = {r["trainer_id"] for r in rows}
    return [t for t in trainer_ids if t not in known]


async def _check_trainers(pool: asyncpg.Pool, place: cmd.SessionPlace | None) -> None:
    if place is not None and (missing := await unregistered_trainers(pool, place.trainer_ids)):
        raise errors.InvalidTransitionError(f"not registered trainers: {', '.join(map(str, missing))}")


@translated
async def schedule_session(
    store: EventStore,
    pool: asyncpg.Pool,
    ctx: CommandContext,
    course_id: UUID,
    place: cmd.SessionPlace,
    capacity: int,
) -> Outcome:
    course = await load_course(store, course_id)
    await _check_trainers(pool, place)
    session_id = uuid4()
    events = decide(
        course,
        cmd.ScheduleSession(session_id=session_id, course_id=course_id, place=place, capacity=capacity),
    )
    session = fold(SessionState(), events)
    envelopes = [ctx.envelope(e, session_id) for e in events]
    # The course's version is checked too: an archive racing with this schedule makes one of them retry.
    expected = {stream_id("session", session_id): 0, stream_id("course", course_id): course.version}
    return Outcome(
        envelopes,
        expected,
        SessionOut.of(session_id, session),
        status=201,
        location=f"/v1/sessions/{session_id}",
    )


async def load_session(store: EventStore, session_id: UUID) -> SessionState:
    state: SessionState = await load(store, "session", session_id, SessionState())
    if not state.exists:
        raise errors.SessionNotFoundError(f"no session {session_id}")
    return state


async def _change_session(
    store: EventStore, pool: asyncpg.Pool, ctx: CommandContext, command: cmd.Command
) -> Outcome:
    session_id: UUID = command.session_id  # type: ignore[attr-defined]
    state = await load_session(store, session_id)
    if isinstance(command, cmd.ChangeSession):
        await _check_trainers(pool, command.place)
    events = decide(state, command)
    return _outcome(ctx, "session", session_id, state, events, SessionOut.of(session_id, fold(state, events)))


@translated
async def change_session(
    store: EventStore, pool: asyncpg.Pool, ctx: CommandContext, command: cmd.Command
) -> Outcome:
    return await _change_session(store, pool, ctx, command)


@translated
async def change_session_details(
    store: EventStore,
    pool: asyncpg.Pool,
    ctx: CommandContext,
    session_id: UUID,
    changes: dict[str, Any],
    capacity: int | None,
) -> Outcome:
    """A PATCH: the given fields merged with the current ones, then checked whole (dates in order, a place)."""
    state = await load_session(store, session_id)
    place = None
    if changes and state.place is not None:
        try:
            place = cmd.SessionPlace.model_validate({**state.place.model_dump(), **changes})
        except ValidationError as exc:  # each field and its reason; the one rule on the whole: the place
            fields = [
                {"field": ".".join(map(str, e["loc"])) or "location", "reason": e["msg"], "in": "body"}
                for e in exc.errors(include_url=False)
            ]
            raise UnprocessableError(
                f"invalid session: {', '.join(sorted({f['field'] for f in fields}))}", errors=fields
            ) from None
    return await _change_session(
        store, pool, ctx, cmd.ChangeSession(session_id=session_id, place=place, capacity=capacity)
    )


@translated
async def define_path(store: EventStore, ctx: CommandContext, command: cmd.DefinePath) -> Outcome:
    for course_id in command.course_ids:
        course: CourseState = await load(store, "course", course_id, CourseState())
        if course.status not in {"proposed", "published"}:
            raise errors.InvalidTransitionError(
                f"course {course_id} cannot be part of a path ({course.status or 'unknown'})"
            )
    state = PathState()
    events = decide(state, command)
    out = PathOut.of(command.path_id, fold(state, events))
    location = f"/v1/learning-paths/{command.path_id}"
    return _outcome(ctx, "path", command.path_id, state, events, out, status=201, location=location)


@translated
async def publish_path(store: EventStore, ctx: CommandContext, path_id: UUID) -> Outcome:
    state: PathState = await load(store, "path", path_id, PathState())
    if not state.exists:
        raise errors.PathNotFoundError(f"no learning path {path_id}")
    events = decide(state, cmd.PublishPath(path_id=path_id))
    return _outcome(ctx, "path", path_id, state, events, PathOut.of(path_id, fold(state, events)))

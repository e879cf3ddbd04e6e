"""Sessions: dated runs of a course with seats, a place or a link, and registered trainers."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from campus_service import NotFoundError, require_roles, run_command
from campus_service.deps import CommandDep, PoolDep, StoreDep
from campus_service.routing import CampusRoute

from ... import handlers, queries
from ...domain import commands as cmd
from ...schemas import SessionOut
from ..models import OptionalReasonIn, SessionIn, SessionPatchIn

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["sessions"])
staff = [require_roles("campus_staff")]


@router.post("/courses/{course_id}/sessions", status_code=201, response_model=SessionOut, dependencies=staff)
async def schedule_session(
    course_id: UUID, body: SessionIn, ctx: CommandDep, store: StoreDep, pool: PoolDep
) -> Response:
    place, capacity = body.place(), body.capacity
    return await run_command(
        ctx, store, lambda: handlers.schedule_session(store, pool, ctx, course_id, place, capacity)
    )


@router.get("/sessions/{session_id}", response_model=SessionOut)
async def get_session(session_id: UUID, pool: PoolDep) -> dict[str, object]:
    session = await queries.get_session(pool, session_id)
    if session is None:
        raise NotFoundError(f"no session {session_id}")
    return session


@router.patch("/sessions/{session_id}", response_model=SessionOut, dependencies=staff)
async def change_session(
    session_id: UUID, body: SessionPatchIn, ctx: CommandDep, store: StoreDep, pool: PoolDep
) -> Response:
    changes = body.model_dump(exclude_unset=True, exclude={"capacity"})
    return await run_command(
        ctx,
        store,
        lambda: handlers.change_session_details(store, pool, ctx, session_id, changes, body.capacity),
    )


@router.post("/sessions/{session_id}/cancel", response_model=SessionOut, dependencies=staff)
async def cancel_session(
    session_id: UUID, ctx: CommandDep, store: StoreDep, pool: PoolDep, body: OptionalReasonIn | None = None
) -> Response:
    command = cmd.CancelSession(session_id=session_id, reason=body.reason if body else None)
    return await run_command(ctx, store, lambda: handlers.change_session(store, pool, ctx, command))

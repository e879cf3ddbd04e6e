"""Support requests: a registered trainer asks the Campus for help; the Campus staff resolves."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Response

from campus_service import ForbiddenError, NotFoundError, require_roles, run_command
from campus_service.auth import Scope, authorize
from campus_service.deps import CommandDep, PoolDep, PrincipalDep, StoreDep
from campus_service.roles import CAMPUS_STAFF
from campus_service.routing import CampusRoute

from ... import handlers, queries
from ...domain.state import SupportState
from ..gates import registered_trainer
from ..models import ResolveIn, SupportRequestIn, SupportRequestOut
from ..pagination import Cursor, Limit, decode_cursor, next_cursor

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["support requests"])


@router.post(
    "/support-requests",
    status_code=201,
    response_model=SupportRequestOut,
    dependencies=[registered_trainer()],
)
async def request_support(body: SupportRequestIn, ctx: CommandDep, store: StoreDep) -> Response:
    """Ask for help to build a training (pedagogy, content production…)."""
    return await run_command(ctx, store, lambda: handlers.request_support(store, ctx, body))


@router.get(
    "/support-requests",
    dependencies=[authorize(scope=Scope(
        "self", "a trainer lists their own requests", exempt=(CAMPUS_STAFF,), decided="handler"
    ))],
)  # fmt: skip
async def list_support_requests(
    principal: PrincipalDep,
    pool: PoolDep,
    status: Literal["open", "resolved"] | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The Campus staff sees every request; a trainer sees their own."""
    offset = decode_cursor(cursor)
    mine = None if principal.has_role(CAMPUS_STAFF) else principal.sub
    rows = await queries.support_requests(
        pool, trainer_id=mine, status=status, offset=offset, limit=limit + 1
    )
    items = [
        SupportRequestOut(
            id=r["support_request_id"],
            trainer_id=r["trainer_id"],
            title=r["title"],
            description=r["description"],
            course_id=r["course_id"],
            themes=r["themes"],
            status=r["status"],
            resolution=r["resolution"],
        )
        for r in rows[:limit]
    ]
    return {"items": items, "next_cursor": next_cursor(offset, limit, len(rows))}


@router.get(
    "/support-requests/{request_id}",
    response_model=SupportRequestOut,
    dependencies=[authorize(scope=Scope(
        "relation", "the trainer who asked", exempt=(CAMPUS_STAFF,), other_ministry=403, decided="handler"
    ))],
)  # fmt: skip
async def get_support_request(
    request_id: UUID, principal: PrincipalDep, store: StoreDep
) -> SupportRequestOut:
    state, _ = await handlers.load(store, "support", request_id, SupportState())
    if not state.exists:
        raise NotFoundError("no such support request")
    if state.trainer_id != principal.sub and not principal.has_role(CAMPUS_STAFF):
        raise ForbiddenError("only its trainer or the Campus staff may see this request")
    return handlers.support_out(state)


@router.post(
    "/support-requests/{request_id}/resolve",
    response_model=SupportRequestOut,
    dependencies=[require_roles(CAMPUS_STAFF)],
)
async def resolve_support_request(
    request_id: UUID, body: ResolveIn, ctx: CommandDep, store: StoreDep
) -> Response:
    return await run_command(
        ctx, store, lambda: handlers.resolve_support_request(store, ctx, request_id, body)
    )

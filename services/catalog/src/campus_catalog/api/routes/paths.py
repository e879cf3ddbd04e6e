"""Learning paths (parcours): ordered courses toward a target job, some of them reconversion paths."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Query, Response

from campus_service import NotFoundError, UnprocessableError, require_roles, run_command
from campus_service.deps import CommandDep, OptionalPrincipalDep, PoolDep, StoreDep
from campus_service.routing import CampusRoute

from ... import handlers, queries
from ...schemas import PathOut
from ..models import LearningPathIn

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["learning-paths"])
staff = [require_roles("campus_staff")]


@router.get("/learning-paths")
async def list_paths(
    pool: PoolDep,
    principal: OptionalPrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, object]:
    """Published paths; the Campus staff also sees drafts."""
    statuses = (
        ["draft", "published"]
        if principal is not None and principal.has_role("campus_staff")
        else ["published"]
    )
    try:
        offset = queries.decode_cursor(cursor)
    except ValueError:
        raise UnprocessableError("invalid cursor") from None
    return await queries.list_paths(pool, statuses, limit, offset)


@router.get("/learning-paths/{path_id}", response_model=PathOut)
async def get_path(path_id: UUID, pool: PoolDep, principal: OptionalPrincipalDep) -> dict[str, object]:
    path = await queries.get_path(pool, path_id)
    if path is None or (
        path["status"] != "published" and not (principal and principal.has_role("campus_staff"))
    ):
        raise NotFoundError(f"no learning path {path_id}")
    return path


@router.post("/learning-paths", status_code=201, response_model=PathOut, dependencies=staff)
async def define_path(body: LearningPathIn, ctx: CommandDep, store: StoreDep) -> Response:
    command = body.command(uuid4())
    return await run_command(ctx, store, lambda: handlers.define_path(store, ctx, command))


@router.post("/learning-paths/{path_id}/publish", response_model=PathOut, dependencies=staff)
async def publish_path(path_id: UUID, ctx: CommandDep, store: StoreDep) -> Response:
    return await run_command(ctx, store, lambda: handlers.publish_path(store, ctx, path_id))

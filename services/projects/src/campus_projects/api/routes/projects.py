"""``/v1/projects``: open a project, record each stage's data, advance, abandon, read."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from campus_events.contracts.vocab import ProjectStage
from campus_service import ForbiddenError, NotFoundError, ensure_same_ministry, run_command
from campus_service.auth import Scope, authorize
from campus_service.deps import CommandDep, PoolDep, PrincipalDep, StoreDep
from campus_service.roles import STAFF_ROLES
from campus_service.routing import CampusRoute

from ... import handlers, queries
from ..deps import ManagerWithMinistry, project_access
from ..schemas import (
    AbandonIn,
    AdvanceIn,
    DesignIn,
    EvaluationIn,
    ImplementationIn,
    NeedsAnalysisIn,
    ProjectIn,
    ProjectOut,
    ProjectPage,
)

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["projects"])
STAFF_OR_OWNER = project_access(
    "campus_staff",
    "manager",
    rule="the project belongs to the caller's ministry, then (decider) the caller opened it",
)
STAFF = project_access("campus_staff")
Cursor = Annotated[UUID | None, Query(description="The last id of the previous page.")]
Limit = Annotated[int, Query(ge=1, le=500)]


@router.post(
    "/projects", status_code=201, response_model=ProjectOut, dependencies=[Depends(ManagerWithMinistry())]
)
async def open_project(body: ProjectIn, ctx: CommandDep, store: StoreDep) -> Response:
    return await run_command(ctx, store, lambda: handlers.open_project(store, ctx, body))


OWN_MINISTRY = Scope(
    "token-ministry",
    "a manager lists their token's ministry (`ministry=` another → 403)",
    exempt=STAFF_ROLES,
    decided="handler",
)
READ_PROJECT = Scope(
    "resource-ministry",
    "the project belongs to the caller's ministry",
    exempt=STAFF_ROLES,
    other_ministry=403,
    decided="handler",
)


@router.get(
    "/projects",
    response_model=ProjectPage,
    dependencies=[authorize("manager", "campus_staff", scope=OWN_MINISTRY)],
)
async def list_projects(
    principal: PrincipalDep,
    pool: PoolDep,
    stage: ProjectStage | None = None,
    ministry: Annotated[str | None, Query(max_length=32)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ProjectPage:
    if not principal.is_staff:
        if ministry is not None and ministry != principal.ministry:
            raise ForbiddenError("managers see their own ministry's projects only")
        ministry = principal.ministry
    async with pool.acquire() as conn:
        docs = await queries.project_docs(
            conn, stage=stage.value if stage else None, ministry=ministry, cursor=cursor, limit=limit + 1
        )
    items = [ProjectOut.model_validate(d) for d in docs[:limit]]
    next_cursor = str(items[-1].id) if len(docs) > limit else None
    return ProjectPage(items=items, next_cursor=next_cursor)


@router.get(
    "/projects/{project_id}",
    response_model=ProjectOut,
    dependencies=[authorize("manager", "campus_staff", scope=READ_PROJECT)],
)
async def get_project(project_id: UUID, principal: PrincipalDep, pool: PoolDep) -> ProjectOut:
    async with pool.acquire() as conn:
        doc = await queries.project_doc(conn, project_id)
    if doc is None:
        raise NotFoundError(f"no project {project_id}")
    out = ProjectOut.model_validate(doc)
    ensure_same_ministry(principal, out.ministry)
    return out


@router.post(
    "/projects/{project_id}/needs-analysis", response_model=ProjectOut, dependencies=[STAFF_OR_OWNER]
)
async def record_needs_analysis(
    project_id: UUID, body: NeedsAnalysisIn, ctx: CommandDep, store: StoreDep
) -> Response:
    return await run_command(ctx, store, lambda: handlers.record_needs_analysis(store, ctx, project_id, body))


@router.post("/projects/{project_id}/design", response_model=ProjectOut, dependencies=[STAFF])
async def design_training_path(
    project_id: UUID, body: DesignIn, ctx: CommandDep, store: StoreDep, pool: PoolDep
) -> Response:
    return await run_command(
        ctx, store, lambda: handlers.design_training_path(store, pool, ctx, project_id, body)
    )


@router.post("/projects/{project_id}/advance", response_model=ProjectOut, dependencies=[STAFF])
async def advance_stage(project_id: UUID, body: AdvanceIn, ctx: CommandDep, store: StoreDep) -> Response:
    return await run_command(ctx, store, lambda: handlers.advance_stage(store, ctx, project_id, body))


@router.post("/projects/{project_id}/implementation", response_model=ProjectOut, dependencies=[STAFF])
async def record_implementation(
    project_id: UUID, body: ImplementationIn, ctx: CommandDep, store: StoreDep
) -> Response:
    return await run_command(ctx, store, lambda: handlers.record_implementation(store, ctx, project_id, body))


@router.post("/projects/{project_id}/evaluation", response_model=ProjectOut, dependencies=[STAFF])
async def record_evaluation(
    project_id: UUID, body: EvaluationIn, ctx: CommandDep, store: StoreDep
) -> Response:
    return await run_command(ctx, store, lambda: handlers.record_evaluation(store, ctx, project_id, body))


@router.post("/projects/{project_id}/abandon", response_model=ProjectOut, dependencies=[STAFF_OR_OWNER])
async def abandon_project(project_id: UUID, body: AbandonIn, ctx: CommandDep, store: StoreDep) -> Response:
    return await run_command(ctx, store, lambda: handlers.abandon_project(store, ctx, project_id, body))

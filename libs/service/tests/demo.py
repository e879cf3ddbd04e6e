"""A small service on the kit, for its tests: one command route with role and ministry rules."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from campus_events.consumer import Projection
from campus_events.contracts.projects import ProjectOpened
from campus_events.envelope import Envelope, stream_id
from campus_service import (
    ConflictError,
    Outcome,
    ServiceSettings,
    create_app,
    parse_body,
    require_roles,
    require_same_ministry,
    run_command,
)
from campus_service.deps import CommandDep, OptionalPrincipalDep, PrincipalDep, StoreDep
from campus_service.routing import CampusRoute

MIGRATIONS = Path(__file__).parent / "demo_migrations"


class ProjectIn(BaseModel):
    title: str = Field(min_length=1)
    team_size: int = Field(ge=1)


class ProjectOut(BaseModel):
    id: UUID
    ministry: str
    title: str
    team_size: int


router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["demo"])  # as the services'


@router.post(
    "/ministries/{ministry}/projects",
    status_code=201,
    response_model=ProjectOut,
    dependencies=[require_roles("manager", "campus_staff"), require_same_ministry("ministry")],
)
async def open_project(ministry: str, body: ProjectIn, ctx: CommandDep, store: StoreDep) -> Response:
    async def handle() -> Outcome:
        if body.title == "taken":
            raise ConflictError("this title is taken")
        project_id = uuid4()
        event = ProjectOpened(
            project_id=project_id,
            ministry=ministry,
            title=body.title,
            service="demo",
            team_size=body.team_size,
            expectations="demo",
            opened_by=ctx.principal.sub,
        )
        envelope = ctx.envelope(event, project_id, ministry=ministry)
        out = ProjectOut(id=project_id, ministry=ministry, title=body.title, team_size=body.team_size)
        return Outcome(
            [envelope], {envelope.stream: 0}, out, status=201, location=f"/v1/projects/{project_id}"
        )

    return await run_command(ctx, store, handle)


@router.post("/ministries/{ministry}/notes", dependencies=[require_roles("manager")])
async def add_note(ministry: str, request: Request, principal: PrincipalDep) -> dict[str, str]:
    """Checks state-dependent rules first, then validates the body by hand."""
    if ministry == "locked":
        raise ConflictError("locked")
    body = await parse_body(request, ProjectIn)
    return {"title": body.title}


@router.get("/whoami")
async def whoami(principal: PrincipalDep) -> dict[str, object]:
    return {"sub": str(principal.sub), "ministry": principal.ministry, "roles": sorted(principal.roles)}


@router.get("/public")
async def public(principal: OptionalPrincipalDep) -> dict[str, object]:
    return {"caller": None if principal is None else str(principal.sub)}


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internal detail")


# What asyncpg raises when the database goes away mid-request (see the database-restart scenario).
DATABASE_LOSSES = {
    "closed": asyncpg.exceptions.ConnectionDoesNotExistError(
        "connection was closed in the middle of operation"
    ),
    "admin-shutdown": asyncpg.exceptions.AdminShutdownError(
        "terminating connection due to administrator command"
    ),
    "reset": asyncpg.exceptions.InternalClientError(
        "cannot switch to state 15; another operation (2) is in progress"
    ),
    "refused": ConnectionRefusedError(111, "Connection refused"),
}


@router.get("/database-lost/{how}")
async def database_lost(how: str) -> None:
    raise DATABASE_LOSSES[how]


async def project(conn: asyncpg.Connection, envelope: Envelope) -> None:
    if envelope.type == "ProjectOpened":
        await conn.execute(
            "INSERT INTO demo_projects (project_id, ministry, title) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING",
            UUID(envelope.data["project_id"]),
            envelope.ministry,
            envelope.data["title"],
        )


PROJECTION = Projection("demo-projects", "CAMPUS_PROJECTS", ("campus.projects.>",), project)


def demo_app(settings: ServiceSettings):  # type: ignore[no-untyped-def]
    return create_app(
        settings,
        title="Campus demo",
        routers=[router],
        projections=[PROJECTION],
        migrations_folder=MIGRATIONS,
        version="9.9.9",
    )


def project_stream(project_id: UUID | str) -> str:
    return stream_id("project", project_id)

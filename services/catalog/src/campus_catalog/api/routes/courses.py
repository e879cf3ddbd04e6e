"""Courses: the public catalogue (search, facets, CSV) and the proposal → publication lifecycle."""

from __future__ import annotations

import csv
import io
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from campus_events.contracts.vocab import CourseKind, Modality, Theme
from campus_service import NotFoundError, UnprocessableError, require_roles, run_command
from campus_service.deps import CommandDep, OptionalPrincipalDep, PoolDep, StoreDep
from campus_service.routing import CampusRoute

from ... import handlers, queries
from ...domain import commands as cmd
from ...schemas import CourseOut, CoursePage
from ..gates import may_propose, may_revise
from ..models import CourseIn, CoursePatchIn, OptionalReasonIn, ReasonIn

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["courses"])
staff = [require_roles("campus_staff")]
Limit = Annotated[int, Query(ge=1, le=500)]
Filter = Annotated[str | None, Query(min_length=1, max_length=100)]
STATUSES = ("proposed", "published", "rejected", "archived")


@router.get("/courses", response_model=CoursePage)
async def list_courses(
    request: Request,
    pool: PoolDep,
    principal: OptionalPrincipalDep,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    theme: Theme | None = None,
    sub_theme: Filter = None,
    kind: CourseKind | None = None,
    modality: Modality | None = None,
    audience: Filter = None,
    organizer: Filter = None,
    status: Annotated[str | None, Query(pattern="^(proposed|published|rejected|archived)$")] = None,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Published courses; ``q`` is French full-text (accents, case and word endings do not matter).
    Answers are kept per catalogue version (``queries.SearchCache``)."""
    statuses: tuple[str, ...] = ("published",)
    if status is not None:
        if principal is None or not principal.has_role("campus_staff"):
            raise UnprocessableError("only the Campus staff may filter on status", errors=[
                {"field": "status", "in": "query", "reason": "reserved to campus_staff"}])  # fmt: skip
        statuses = (status,)
    try:
        offset = queries.decode_cursor(cursor)
    except ValueError:
        raise UnprocessableError(
            "invalid cursor", errors=[{"field": "cursor", "in": "query", "reason": "invalid"}]
        ) from None
    filters = queries.CourseFilters(
        q=q, theme=theme, sub_theme=sub_theme, kind=kind, modality=modality,
        audience=audience, organizer=organizer, statuses=statuses,
    )  # fmt: skip

    async def compute() -> bytes:
        page = await queries.search_courses(pool, filters, limit, offset)
        return CoursePage.model_validate(page).model_dump_json().encode()

    cache: queries.SearchCache = request.app.state.search_cache
    body = await cache.answer(pool, (filters, limit, offset), compute)
    return Response(body, media_type="application/json")


EXPORT_COLUMNS = (
    ("id", "id"), ("titre", "title"), ("type", "kind"), ("description", "summary"), ("objectifs", "objectives"),
    ("duree", "duration"), ("lien_inscription", "registration_url"), ("publics_cibles", "audiences"),
    ("thematiques", "themes"), ("sous_thematiques", "sub_themes"), ("entites_organisatrices", "organizers"),
    ("modalite", "modality"),
)  # fmt: skip


@router.get("/courses/export.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def export_courses(pool: PoolDep) -> Response:
    """The published catalogue with the real catalogue's columns (lists joined with `` | ``)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for header, _ in EXPORT_COLUMNS])
    for row in await queries.published_courses(pool):
        writer.writerow(
            [
                " | ".join(v) if isinstance(v := row[col], list) else ("" if v is None else str(v))
                for _, col in EXPORT_COLUMNS
            ]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="catalogue-campus.csv"'},
    )


@router.get("/courses/{course_id}", response_model=CourseOut)
async def get_course(course_id: UUID, pool: PoolDep, principal: OptionalPrincipalDep) -> dict[str, object]:
    """One course with its upcoming sessions; archived ones stay readable, proposals only to staff and proposer."""
    course = await queries.get_course(pool, course_id)
    visible = course is not None and (
        course["status"] in ("published", "archived")
        or (
            principal is not None
            and (principal.has_role("campus_staff") or principal.sub == course["proposed_by"])
        )
    )
    if not visible:
        raise NotFoundError(f"no course {course_id}")
    return course  # type: ignore[return-value]


@router.post("/courses", status_code=201, response_model=CourseOut, dependencies=[may_propose])
async def propose_course(body: CourseIn, ctx: CommandDep, store: StoreDep) -> Response:
    # A CourseIn is a CourseFields (nothing added): the domain takes it as validated, not twice.
    return await run_command(ctx, store, lambda: handlers.propose_course(store, ctx, body))


@router.patch("/courses/{course_id}", response_model=CourseOut, dependencies=[may_revise])
async def revise_course(course_id: UUID, body: CoursePatchIn, ctx: CommandDep, store: StoreDep) -> Response:
    return await run_command(
        ctx, store, lambda: handlers.revise_course(store, ctx, course_id, body.changes())
    )


@router.post("/courses/{course_id}/publish", response_model=CourseOut, dependencies=staff)
async def publish_course(course_id: UUID, ctx: CommandDep, store: StoreDep) -> Response:
    command = cmd.PublishCourse(course_id=course_id)
    return await run_command(ctx, store, lambda: handlers.change_course_status(store, ctx, command))


@router.post("/courses/{course_id}/reject", response_model=CourseOut, dependencies=staff)
async def reject_course(course_id: UUID, body: ReasonIn, ctx: CommandDep, store: StoreDep) -> Response:
    command = cmd.RejectCourse(course_id=course_id, reason=body.reason)
    return await run_command(ctx, store, lambda: handlers.change_course_status(store, ctx, command))


@router.post("/courses/{course_id}/archive", response_model=CourseOut, dependencies=staff)
async def archive_course(
    course_id: UUID, ctx: CommandDep, store: StoreDep, body: OptionalReasonIn | None = None
) -> Response:
    command = cmd.ArchiveCourse(course_id=course_id, reason=body.reason if body else None)
    return await run_command(ctx, store, lambda: handlers.change_course_status(store, ctx, command))

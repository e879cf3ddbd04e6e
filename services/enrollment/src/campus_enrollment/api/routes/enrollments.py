"""Enrolments: enrol, read, cancel, complete, rate. Thin: auth, parse, handler."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from campus_service import ForbiddenError, NotFoundError, Principal, parse_body, run_command
from campus_service.auth import Scope, authorize
from campus_service.deps import CommandDep, PoolDep, StoreDep
from campus_service.routing import CampusRoute

from ... import catalog, handlers, queries
from ..deps import CallerDep, CursorQuery, LimitQuery, RostersDep
from ..errors import guarded
from ..schemas import EnrollmentIn, EnrollmentOut, Page, RatingIn

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["enrollments"])
ENROLLMENT = {"model": EnrollmentOut}
STAFF = ("campus_staff",)


def of_enrollment(rule: str, exempt: tuple[str, ...] = STAFF) -> Any:
    """The handler loads the enrolment, then checks the caller's relation to it (404 if unknown)."""
    return authorize(scope=Scope("relation", rule, exempt=exempt, other_ministry=403, decided="handler"))


ENROL = Scope(
    "token-ministry",
    "an agent enrols themself; a manager may enrol (`agent_id`) an agent of their token's ministry"
    " known to the service (an unknown agent: 404)",
    other_ministry=403,
    decided="handler",
)


@router.post(
    "/enrollments",
    status_code=201,
    response_model=EnrollmentOut,
    dependencies=[authorize("agent", "manager", scope=ENROL)],
)
async def enroll(
    body: EnrollmentIn,
    caller: CallerDep,
    ctx: CommandDep,
    store: StoreDep,
    pool: PoolDep,
    rosters: RostersDep,
) -> Response:
    who = await handlers.enrollee(pool, caller, body.agent_id)
    async with rosters.hold(handlers.stream_for(who, body)):
        return await run_command(
            ctx, store, lambda: guarded(handlers.enroll(store, pool, rosters, ctx, who, body))
        )


async def _located(pool: PoolDep, enrollment_id: UUID) -> dict[str, Any]:
    found = await catalog.locate(pool, enrollment_id)
    if found is None:
        raise NotFoundError(f"no enrolment {enrollment_id}")
    return found


def _owner(found: dict[str, Any], principal: Principal) -> bool:
    return str(found["agent_id"]) == str(principal.sub)


@router.post(
    "/enrollments/{enrollment_id}/cancel",
    response_model=EnrollmentOut,
    dependencies=[of_enrollment("the enrolled agent")],
)
async def cancel(
    enrollment_id: UUID, ctx: CommandDep, store: StoreDep, pool: PoolDep, rosters: RostersDep
) -> Response:
    found = await _located(pool, enrollment_id)
    if not (_owner(found, ctx.principal) or ctx.principal.has_role("campus_staff")):
        raise ForbiddenError("only the enrolled agent or the Campus staff can cancel an enrolment")
    stream = str(found["stream"])
    async with rosters.hold(stream):
        return await run_command(
            ctx, store, lambda: guarded(handlers.cancel(store, pool, rosters, ctx, stream, enrollment_id))
        )


@router.post(
    "/enrollments/{enrollment_id}/complete",
    response_model=EnrollmentOut,
    dependencies=[of_enrollment("a registered trainer of the enrolment's session")],
)
async def complete(
    enrollment_id: UUID, ctx: CommandDep, store: StoreDep, pool: PoolDep, rosters: RostersDep
) -> Response:
    found = await _located(pool, enrollment_id)
    principal = ctx.principal
    session = await catalog.session(pool, UUID(found["session_id"])) if found.get("session_id") else None
    starts_at = session.starts_at if session is not None else None
    if not principal.has_role("campus_staff"):
        if session is None or principal.sub not in session.trainer_ids:
            raise ForbiddenError("only the Campus staff or the session's trainer can record a completion")
        if not await catalog.trainer_active(pool, principal.sub):
            raise ForbiddenError("only a registered trainer can record a completion")
        ctx = ctx.as_role("trainer")
    stream = str(found["stream"])
    async with rosters.hold(stream):
        return await run_command(
            ctx,
            store,
            lambda: guarded(handlers.complete(store, rosters, ctx, stream, enrollment_id, starts_at)),
        )


@router.post(
    "/enrollments/{enrollment_id}/rating",
    response_model=EnrollmentOut,
    dependencies=[of_enrollment("the enrolled agent, once the course is completed", exempt=())],
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": RatingIn.model_json_schema()}},
            "required": True,
        }
    },
)
async def rate(
    enrollment_id: UUID,
    request: Request,
    ctx: CommandDep,
    store: StoreDep,
    pool: PoolDep,
    rosters: RostersDep,
) -> Response:
    found = await _located(pool, enrollment_id)
    if not _owner(found, ctx.principal):
        raise ForbiddenError("only the agent who followed the course can rate it")
    body = await parse_body(request, RatingIn)
    stream = str(found["stream"])
    async with rosters.hold(stream):
        return await run_command(
            ctx, store, lambda: guarded(handlers.rate(store, rosters, ctx, stream, enrollment_id, body))
        )


@router.get(
    "/me/enrollments",
    response_model=Page[EnrollmentOut],
    dependencies=[authorize(scope=Scope("self", "the caller's own enrolments", decided="handler"))],
)
async def my_enrollments(
    caller: CallerDep, pool: PoolDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[EnrollmentOut]:
    items, next_cursor = await queries.agent_enrollments(pool, caller.sub, limit, cursor)
    return Page[EnrollmentOut](items=items, next_cursor=next_cursor)


async def visible(pool: PoolDep, principal: Principal, enrollment_id: UUID, *, manager: bool = True) -> Any:
    row = await queries.enrollment(pool, enrollment_id)
    if row is None:
        raise NotFoundError(f"no enrolment {enrollment_id}")
    own = row["agent_id"] == principal.sub
    their_manager = manager and principal.has_role("manager") and principal.ministry == row["ministry"]
    if not (own or their_manager or principal.has_role("campus_staff")):
        raise ForbiddenError("this enrolment is not yours to see")
    return row


@router.get(
    "/enrollments/{enrollment_id}",
    response_model=EnrollmentOut,
    dependencies=[of_enrollment("the enrolled agent, or a manager of the enrolment's ministry")],
)
async def get_enrollment(enrollment_id: UUID, caller: CallerDep, pool: PoolDep) -> EnrollmentOut:
    return queries.to_out(await visible(pool, caller, enrollment_id))

"""A session: its seats (public), and its roster (the Campus staff, the session's trainers)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from campus_events.contracts.vocab import EnrollmentStatus
from campus_service import ForbiddenError, NotFoundError
from campus_service.auth import Scope, authorize
from campus_service.deps import PoolDep
from campus_service.routing import CampusRoute

from ... import catalog, queries
from ..deps import CallerDep, CursorQuery, LimitQuery
from ..schemas import EnrollmentOut, Page, SeatsOut

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["sessions"])


@router.get("/sessions/{session_id}/seats", response_model=SeatsOut)
async def seats(session_id: UUID, pool: PoolDep) -> SeatsOut:
    row = await queries.seats(pool, session_id)
    if row is None:
        raise NotFoundError(f"no session {session_id}")
    return SeatsOut(**dict(row))


ROSTER = Scope(
    "relation",
    "a registered trainer of the session (who records its completions)",
    exempt=("campus_staff",),
    other_ministry=403,
    decided="handler",
)


@router.get(
    "/sessions/{session_id}/enrollments",
    response_model=Page[EnrollmentOut],
    dependencies=[authorize(scope=ROSTER)],
)
async def roster(
    session_id: UUID,
    caller: CallerDep,
    pool: PoolDep,
    status: EnrollmentStatus | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[EnrollmentOut]:
    """The session's enrolments in enrolment order (``status``: only those), for its trainer to
    record completions (``POST /v1/enrollments/{id}/complete``). The agents' ratings are not
    their trainer's to read: ``score`` and ``comment`` are left out for a trainer."""
    session = await catalog.session(pool, session_id)
    if session is None:
        raise NotFoundError(f"no session {session_id}")
    staff = caller.has_role("campus_staff")
    if not staff and (
        caller.sub not in session.trainer_ids or not await catalog.trainer_active(pool, caller.sub)
    ):
        raise ForbiddenError(
            "only the Campus staff or the session's registered trainer can list its enrolments"
        )
    items, next_cursor = await queries.session_enrollments(
        pool, session_id, status.value if status else None, limit, cursor
    )
    if not staff:
        items = [i.model_copy(update={"score": None, "comment": None}) for i in items]
    return Page[EnrollmentOut](items=items, next_cursor=next_cursor)

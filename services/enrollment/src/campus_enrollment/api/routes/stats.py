"""Statistics: managers see their own ministry, the Campus staff every ministry (or one)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from campus_events.envelope import MINISTRY_CODE
from campus_service import ForbiddenError
from campus_service.auth import Scope, authorize
from campus_service.deps import PoolDep, PrincipalDep
from campus_service.routing import CampusRoute

from ... import queries
from ..schemas import StatsOut

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["stats"])
OWN_MINISTRY = Scope(
    "token-ministry",
    "a manager sees their token's ministry (`ministry=` another → 403)",
    exempt=("campus_staff",),
    decided="handler",
)


@router.get(
    "/stats", response_model=StatsOut, dependencies=[authorize("manager", "campus_staff", scope=OWN_MINISTRY)]
)
async def stats(
    principal: PrincipalDep,
    pool: PoolDep,
    ministry: Annotated[str | None, Query(pattern=MINISTRY_CODE.pattern)] = None,
) -> StatsOut:
    if not principal.has_role("campus_staff"):
        if ministry not in (None, principal.ministry) or principal.ministry is None:
            raise ForbiddenError("a manager sees their own ministry's statistics")
        ministry = principal.ministry
    return StatsOut(**await queries.stats(pool, ministry))

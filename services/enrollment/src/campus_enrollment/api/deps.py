"""``Annotated`` dependencies of the enrollment routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from campus_service import Principal
from campus_service.deps import PoolDep, PrincipalDep

from .. import catalog
from ..rosters import Rosters


async def get_rosters(request: Request) -> Rosters:
    return request.app.state.rosters  # type: ignore[no-any-return]


async def remember_caller(principal: PrincipalDep, pool: PoolDep) -> Principal:
    """Keep the caller's name and e-mail (from the token) in the one erasable table."""
    p = principal
    await catalog.remember_agent(pool, p.sub, p.ministry, p.email, p.given_name, p.usual_name)
    return p


RostersDep = Annotated[Rosters, Depends(get_rosters)]
CallerDep = Annotated[Principal, Depends(remember_caller)]
LimitQuery = Annotated[int, Query(ge=1, le=500)]
CursorQuery = Annotated[str | None, Query(max_length=200)]

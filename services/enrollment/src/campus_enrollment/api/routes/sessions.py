"""A session's seats: public."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from campus_service import NotFoundError
from campus_service.deps import PoolDep
from campus_service.routing import CampusRoute

from ... import queries
from ..schemas import SeatsOut

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["sessions"])


@router.get("/sessions/{session_id}/seats", response_model=SeatsOut)
async def seats(session_id: UUID, pool: PoolDep) -> SeatsOut:
    row = await queries.seats(pool, session_id)
    if row is None:
        raise NotFoundError(f"no session {session_id}")
    return SeatsOut(**dict(row))

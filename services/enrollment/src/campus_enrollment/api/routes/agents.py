"""Erasure: an agent's name and e-mail are deleted; events (pseudonymous) stay."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from campus_service import require_roles
from campus_service.deps import PoolDep
from campus_service.routing import CampusRoute

from ..schemas import ErasedOut

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["agents"])
# A stored command response (idempotency_keys.result) may repeat what the erasure deletes (a
# profile's bio, …): forget the agent's own keys and every stored response that names them. A
# retry of such a command after erasure is decided afresh (409 where it was already done).
FORGET_RESPONSES = "DELETE FROM idempotency_keys WHERE starts_with(key, $1::text || ':') OR position($1::text in result::text) > 0"


@router.post("/agents/{agent_id}/erase", response_model=ErasedOut, dependencies=[require_roles("admin")])
async def erase(agent_id: UUID, pool: PoolDep) -> ErasedOut:
    async with pool.acquire() as conn, conn.transaction():
        deleted = await conn.fetchval(
            "DELETE FROM agent_profiles WHERE agent_id = $1 RETURNING agent_id", agent_id
        )
        forgotten = await conn.execute(FORGET_RESPONSES, str(agent_id))
    return ErasedOut(agent_id=agent_id, erased=deleted is not None or forgotten != "DELETE 0")

"""Erasure: an agent's personal details go; the pseudonymous profile and events stay."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter

from campus_service import require_roles
from campus_service.deps import PoolDep
from campus_service.roles import ADMIN
from campus_service.routing import CampusRoute

from ... import personal
from ..models import ErasureOut

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["erasure"])
# A stored command response (idempotency_keys.result) may repeat what the erasure deletes (a
# profile's bio, …): forget the agent's own keys and every stored response that names them. A
# retry of such a command after erasure is decided afresh (409 where it was already done).
FORGET_RESPONSES = "DELETE FROM idempotency_keys WHERE starts_with(key, $1::text || ':') OR position($1::text in result::text) > 0"


@router.post("/agents/{agent_id}/erase", response_model=ErasureOut, dependencies=[require_roles(ADMIN)])
async def erase_agent(agent_id: UUID, pool: PoolDep) -> ErasureOut:
    """Delete the agent's bio, availability, name and e-mail (idempotent: erasing twice is fine)."""
    erased = await personal.erase(pool, agent_id)
    forgotten = await pool.execute(FORGET_RESPONSES, str(agent_id))
    erased = erased or forgotten != "DELETE 0"
    return ErasureOut(agent_id=agent_id, erased=erased, erased_at=datetime.now(UTC))

"""Erasure: an agent's name and e-mail are deleted; events (pseudonymous) stay."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from campus_service import require_roles
from campus_service.deps import PoolDep

from ..schemas import ErasedOut

router = APIRouter(prefix="/v1", tags=["agents"])


@router.post("/agents/{agent_id}/erase", response_model=ErasedOut, dependencies=[require_roles("admin")])
async def erase(agent_id: UUID, pool: PoolDep) -> ErasedOut:
    deleted = await pool.fetchval(
        "DELETE FROM agent_profiles WHERE agent_id = $1 RETURNING agent_id", agent_id
    )
    return ErasedOut(agent_id=agent_id, erased=deleted is not None)

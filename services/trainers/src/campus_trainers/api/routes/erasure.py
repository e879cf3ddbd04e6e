"""Erasure: an agent's personal details go; the pseudonymous profile and events stay."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from campus_service import require_roles
from campus_service.deps import PoolDep
from campus_service.roles import ADMIN
from fastapi import APIRouter

from ... import personal
from ..models import ErasureOut

router = APIRouter(prefix="/v1", tags=["erasure"])


@router.post("/agents/{agent_id}/erase", response_model=ErasureOut, dependencies=[require_roles(ADMIN)])
async def erase_agent(agent_id: UUID, pool: PoolDep) -> ErasureOut:
    """Delete the agent's bio, availability, name and e-mail (idempotent: erasing twice is fine)."""
    erased = await personal.erase(pool, agent_id)
    return ErasureOut(agent_id=agent_id, erased=erased, erased_at=datetime.now(UTC))

"""``GET /v1/pipeline``: projects per stage and ministry, time in stage, funding status."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from campus_events.contracts.vocab import ProjectStage
from campus_service import require_roles
from campus_service.deps import PoolDep
from campus_service.routing import CampusRoute

from ... import queries
from ..schemas import FundingOut, PipelineItemOut, PipelineOut, StageCountOut

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["pipeline"])


@router.get("/pipeline", response_model=PipelineOut, dependencies=[require_roles("campus_staff")])
async def pipeline(
    pool: PoolDep,
    stage: ProjectStage | None = None,
    ministry: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[UUID | None, Query(description="The last project id of the previous page.")] = None,
) -> PipelineOut:
    wanted = stage.value if stage else None
    async with pool.acquire() as conn:
        rows = await queries.pipeline_items(
            conn, stage=wanted, ministry=ministry, cursor=cursor, limit=limit + 1
        )
        counts = await queries.stage_counts(conn, stage=wanted, ministry=ministry)
    items = [_item(r) for r in rows[:limit]]
    return PipelineOut(
        stages=[StageCountOut(stage=r["stage"], ministry=r["ministry"], count=r["count"]) for r in counts],
        items=items,
        next_cursor=str(items[-1].project_id) if len(rows) > limit else None,
    )


def _item(row: dict) -> PipelineItemOut:  # type: ignore[type-arg]
    funding = None
    if row["request_id"] is not None:
        funding = FundingOut(
            request_id=row["request_id"],
            envelope_id=row["envelope_id"],
            status=row["status"],
            requested_cents=row["requested_cents"],
            granted_cents=row["granted_cents"],
            disbursed_cents=row["disbursed_cents"],
            released_cents=row["released_cents"],
        )
    return PipelineItemOut(
        project_id=row["project_id"],
        ministry=row["ministry"],
        title=row["title"],
        stage=row["stage"],
        stage_entered_at=row["stage_entered_at"],
        seconds_in_stage=row["seconds_in_stage"] or 0,
        funding=funding,
    )

"""Ideas for new trainings: shared, supported once per agent, listed by support."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Response

from campus_events.contracts.vocab import Theme
from campus_service import NotFoundError, require_roles, run_command
from campus_service.deps import CommandDep, PoolDep, StoreDep
from campus_service.roles import AGENT, CAMPUS_STAFF, MANAGER
from campus_service.routing import CampusRoute

from ... import handlers, queries
from ...domain.state import IdeaState
from ..models import IdeaIn, IdeaOut
from ..pagination import Cursor, Limit, decode_cursor, next_cursor

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["ideas"])
AGENTS = require_roles(AGENT, MANAGER, CAMPUS_STAFF)


def _out(row: Any) -> IdeaOut:
    return IdeaOut(
        id=row["idea_id"],
        title=row["title"],
        description=row["description"],
        themes=row["themes"],
        shared_by=row["shared_by"],
        support_count=row["support_count"],
    )


@router.post("/ideas", status_code=201, response_model=IdeaOut, dependencies=[AGENTS])
async def share_idea(body: IdeaIn, ctx: CommandDep, store: StoreDep) -> Response:
    return await run_command(ctx, store, lambda: handlers.share_idea(store, ctx, body))


@router.post("/ideas/{idea_id}/support", response_model=IdeaOut, dependencies=[AGENTS])
async def support_idea(idea_id: UUID, ctx: CommandDep, store: StoreDep) -> Response:
    """Support an idea: once per agent (again → 409)."""
    return await run_command(ctx, store, lambda: handlers.support_idea(store, ctx, idea_id))


@router.get("/ideas", dependencies=[AGENTS])
async def list_ideas(
    pool: PoolDep,
    sort: Literal["support", "recent"] = "support",
    theme: Theme | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Ideas, the most supported first (``sort=recent``: the newest first)."""
    offset = decode_cursor(cursor)
    rows = await queries.ideas(pool, sort=sort, theme=theme, offset=offset, limit=limit + 1)
    return {"items": [_out(r) for r in rows[:limit]], "next_cursor": next_cursor(offset, limit, len(rows))}


@router.get("/ideas/{idea_id}", response_model=IdeaOut, dependencies=[AGENTS])
async def get_idea(idea_id: UUID, store: StoreDep) -> IdeaOut:
    state, _ = await handlers.load(store, "idea", idea_id, IdeaState())
    if not state.exists:
        raise NotFoundError("no such idea")
    return handlers.idea_out(state)

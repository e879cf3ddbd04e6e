"""Trainers: registration, profile, withdrawal, and the directory by expertise."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from campus_events.contracts.vocab import Theme
from campus_service import NotFoundError, run_command
from campus_service.auth import Scope, authorize
from campus_service.deps import CommandDep, PoolDep, PrincipalDep, StoreDep
from campus_service.roles import AGENT
from campus_service.routing import CampusRoute

from ... import handlers, queries
from ...domain.state import TrainerState
from ..gates import trainer_or_staff
from ..models import TrainerIn, TrainerOut, TrainerPatchIn, WithdrawIn
from ..pagination import Cursor, Limit, decode_cursor, next_cursor

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["trainers"])


REGISTER = authorize(AGENT, scope=Scope("self", "registers the caller: the trainer id is the token's `sub`"))


@router.post("/trainers", status_code=201, response_model=TrainerOut, dependencies=[REGISTER])
async def register_trainer(body: TrainerIn, ctx: CommandDep, store: StoreDep, pool: PoolDep) -> Response:
    """Register oneself as an occasional trainer: the trainer id is one's agent id."""
    return await run_command(ctx, store, lambda: handlers.register_trainer(store, pool, ctx, body))


@router.get("/trainers")
async def list_trainers(
    principal: PrincipalDep,
    pool: PoolDep,
    expertise: Annotated[list[Theme], Query(max_length=9)] = [],  # noqa: B006 - FastAPI copies it
    include_withdrawn: bool = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The directory: trainers having every ``expertise`` asked for (repeat the parameter)."""
    offset = decode_cursor(cursor)
    rows = await queries.directory(
        pool,
        expertise=[str(e) for e in expertise],
        include_withdrawn=include_withdrawn,
        offset=offset,
        limit=limit + 1,
    )
    items = [
        TrainerOut(
            id=r["trainer_id"],
            ministry=r["ministry"],
            kind=r["kind"],
            expertise=r["expertise"],
            status="withdrawn" if r["withdrawn"] else "active",
            bio=r["bio"] or "",
            availability=r["availability"] or "",
        )
        for r in rows[:limit]
    ]
    return {"items": items, "next_cursor": next_cursor(offset, limit, len(rows))}


@router.get("/trainers/{trainer_id}", response_model=TrainerOut)
async def get_trainer(
    trainer_id: UUID, principal: PrincipalDep, store: StoreDep, pool: PoolDep
) -> TrainerOut:
    """A profile, with the ids of the courses proposed and published and of the sessions delivered."""
    state, _ = await handlers.load(store, "trainer", trainer_id, TrainerState())
    if not state.registered:
        raise NotFoundError("no such trainer")
    return await handlers.trainer_out(pool, state)


@router.patch("/trainers/{trainer_id}", response_model=TrainerOut, dependencies=[trainer_or_staff()])
async def update_trainer(
    trainer_id: UUID, body: TrainerPatchIn, ctx: CommandDep, store: StoreDep, pool: PoolDep
) -> Response:
    return await run_command(ctx, store, lambda: handlers.update_trainer(store, pool, ctx, trainer_id, body))


@router.post("/trainers/{trainer_id}/withdraw", response_model=TrainerOut, dependencies=[trainer_or_staff()])
async def withdraw_trainer(
    trainer_id: UUID, ctx: CommandDep, store: StoreDep, pool: PoolDep, body: WithdrawIn | None = None
) -> Response:
    body = body or WithdrawIn()
    return await run_command(
        ctx, store, lambda: handlers.withdraw_trainer(store, pool, ctx, trainer_id, body)
    )

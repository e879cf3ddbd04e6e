"""One async function per command: load the aggregate's stream, fold, decide, and return what to
append (with the versions it expects) and the new state to answer with."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar
from uuid import UUID, uuid4, uuid5

import asyncpg

from campus_events.envelope import stream_id
from campus_events.store.base import EventStore
from campus_service import CommandContext, ForbiddenError, Outcome

from . import personal, queries
from .api import models as m
from .api.errors import as_problem
from .domain import commands as c
from .domain.decider import decide, fold
from .domain.errors import TrainersError
from .domain.state import DayLedger, IdeaState, State, SupportState, TrainerState

S = TypeVar("S", bound=State)

# A trainer's day of activities is one stream: its version guards the 24-hour limit.
ACTIVITY_DAY_NAMESPACE = UUID("6f1d8f4e-3b8a-4c56-9a43-5d0f2b7e9c11")


def activity_day_id(trainer_id: UUID, day: date) -> UUID:
    return uuid5(ACTIVITY_DAY_NAMESPACE, f"{trainer_id}/{day.isoformat()}")


async def load(store: EventStore, aggregate: str, aggregate_id: UUID, initial: S) -> tuple[S, int]:
    """The aggregate's state and its stream's version (0: a new stream)."""
    envelopes = await store.read_stream(stream_id(aggregate, aggregate_id))
    state = fold(initial, [e.event() for e in envelopes])  # type: ignore[misc]
    return state, (envelopes[-1].stream_version if envelopes else 0)


def decided(state: Any, command: c.Command) -> list[Any]:
    try:
        return decide(state, command)
    except TrainersError as exc:
        raise as_problem(exc) from None


async def trainer_out(pool: asyncpg.Pool, state: TrainerState) -> m.TrainerOut:
    assert state.trainer_id is not None and state.ministry is not None and state.kind is not None
    details = await personal.load(pool, state.trainer_id)
    return m.TrainerOut(
        id=state.trainer_id,
        ministry=state.ministry,
        kind=state.kind,
        expertise=list(state.expertise),
        status="withdrawn" if state.withdrawn else "active",
        bio=details.bio,
        availability=details.availability,
        **await queries.trainer_record(pool, state.trainer_id),
    )


async def register_trainer(
    store: EventStore, pool: asyncpg.Pool, ctx: CommandContext, body: m.TrainerIn
) -> Outcome:
    principal = ctx.principal
    if principal.ministry is None:
        raise ForbiddenError("registering as a trainer needs a token with a ministry")
    state, version = await load(store, "trainer", principal.sub, TrainerState())
    command = c.RegisterTrainer(
        trainer_id=principal.sub, ministry=principal.ministry, kind=body.kind, expertise=tuple(body.expertise)
    )
    events = decided(state, command)
    await personal.save(
        pool,
        principal.sub,
        bio=body.bio,
        availability=body.availability,
        given_name=principal.given_name,
        usual_name=principal.usual_name,
        email=principal.email,
    )
    out = await trainer_out(pool, fold(state, events))
    envelopes = [ctx.envelope(e, principal.sub) for e in events]
    return Outcome(
        envelopes, {envelopes[0].stream: version}, out, status=201, location=f"/v1/trainers/{principal.sub}"
    )


async def update_trainer(
    store: EventStore, pool: asyncpg.Pool, ctx: CommandContext, trainer_id: UUID, body: m.TrainerPatchIn
) -> Outcome:
    state, version = await load(store, "trainer", trainer_id, TrainerState())
    command = c.UpdateTrainerProfile(
        trainer_id=trainer_id,
        kind=body.kind,
        expertise=None if body.expertise is None else tuple(body.expertise),
    )
    events = decided(state, command)
    await personal.save(pool, trainer_id, bio=body.bio, availability=body.availability)
    out = await trainer_out(pool, fold(state, events))
    envelopes = [ctx.envelope(e, trainer_id) for e in events]
    return Outcome(envelopes, {stream_id("trainer", trainer_id): version}, out)


async def withdraw_trainer(
    store: EventStore, pool: asyncpg.Pool, ctx: CommandContext, trainer_id: UUID, body: m.WithdrawIn
) -> Outcome:
    state, version = await load(store, "trainer", trainer_id, TrainerState())
    events = decided(state, c.WithdrawTrainer(trainer_id=trainer_id, reason=body.reason))
    out = await trainer_out(pool, fold(state, events))
    envelopes = [ctx.envelope(e, trainer_id) for e in events]
    return Outcome(envelopes, {envelopes[0].stream: version}, out)


def idea_out(state: IdeaState) -> m.IdeaOut:
    assert state.idea_id is not None and state.shared_by is not None
    return m.IdeaOut(
        id=state.idea_id,
        title=state.title,
        description=state.description,
        themes=list(state.themes),
        shared_by=state.shared_by,
        support_count=len(state.supporters),
    )


async def share_idea(store: EventStore, ctx: CommandContext, body: m.IdeaIn) -> Outcome:
    idea_id = uuid4()
    command = c.ShareIdea(
        idea_id=idea_id,
        title=body.title,
        description=body.description,
        themes=tuple(body.themes),
        shared_by=ctx.principal.sub,
    )
    events = decided(IdeaState(), command)
    envelopes = [ctx.envelope(e, idea_id) for e in events]
    out = idea_out(fold(IdeaState(), events))
    return Outcome(envelopes, {envelopes[0].stream: 0}, out, status=201, location=f"/v1/ideas/{idea_id}")


async def support_idea(store: EventStore, ctx: CommandContext, idea_id: UUID) -> Outcome:
    state, version = await load(store, "idea", idea_id, IdeaState())
    events = decided(state, c.SupportIdea(idea_id=idea_id, agent_id=ctx.principal.sub))
    envelopes = [ctx.envelope(e, idea_id) for e in events]
    return Outcome(envelopes, {envelopes[0].stream: version}, idea_out(fold(state, events)))


def support_out(state: SupportState) -> m.SupportRequestOut:
    assert state.support_request_id is not None and state.trainer_id is not None
    return m.SupportRequestOut(
        id=state.support_request_id,
        trainer_id=state.trainer_id,
        title=state.title,
        description=state.description,
        course_id=state.course_id,
        themes=list(state.themes),
        status="open" if state.resolution is None else "resolved",
        resolution=state.resolution,
    )


async def request_support(store: EventStore, ctx: CommandContext, body: m.SupportRequestIn) -> Outcome:
    trainer, _ = await load(store, "trainer", ctx.principal.sub, TrainerState())
    request_id = uuid4()
    command = c.RequestSupport(
        support_request_id=request_id,
        trainer_id=ctx.principal.sub,
        title=body.title,
        description=body.description,
        course_id=body.course_id,
        themes=tuple(body.themes),
    )
    events = decided((trainer, SupportState()), command)
    envelopes = [ctx.envelope(e, request_id) for e in events]
    out = support_out(fold(SupportState(), events))
    return Outcome(
        envelopes, {envelopes[0].stream: 0}, out, status=201, location=f"/v1/support-requests/{request_id}"
    )


async def resolve_support_request(
    store: EventStore, ctx: CommandContext, request_id: UUID, body: m.ResolveIn
) -> Outcome:
    state, version = await load(store, "support", request_id, SupportState())
    events = decided(
        state, c.ResolveSupportRequest(support_request_id=request_id, resolution=body.resolution)
    )
    envelopes = [ctx.envelope(e, request_id) for e in events]
    return Outcome(envelopes, {envelopes[0].stream: version}, support_out(fold(state, events)))


async def log_activity(
    store: EventStore, ctx: CommandContext, trainer_id: UUID, body: m.ActivityIn
) -> Outcome:
    trainer, _ = await load(store, "trainer", trainer_id, TrainerState())
    day_id = activity_day_id(trainer_id, body.day)
    ledger, version = await load(store, "activity", day_id, DayLedger())
    activity_id = uuid4()
    command = c.LogActivity(
        activity_id=activity_id,
        trainer_id=trainer_id,
        ministry=trainer.ministry or "",
        kind=body.kind,
        minutes=body.total_minutes,
        day=body.day,
        course_id=body.course_id,
        session_id=body.session_id,
    )
    events = decided((trainer, ledger), command)
    envelopes = [ctx.envelope(e, day_id, ministry=trainer.ministry) for e in events]
    out = m.ActivityOut(
        id=activity_id,
        trainer_id=trainer_id,
        ministry=command.ministry,
        kind=command.kind,
        minutes=command.minutes,
        day=command.day,
        course_id=command.course_id,
        session_id=command.session_id,
        day_total_minutes=fold(ledger, events).minutes,
    )
    return Outcome(
        envelopes,
        {envelopes[0].stream: version},
        out,
        status=201,
        location=f"/v1/trainers/{trainer_id}/activities/{activity_id}",
    )

"""One async function per command: load the streams, fold, decide, and say what to append.

The expected versions make every append optimistic: an approval expects both the request's and
the envelope's version, so two approvals racing for the last euros cannot both be recorded.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from campus_events.envelope import Envelope, stream_id
from campus_events.registry import CampusEvent
from campus_events.store.base import EventStore
from campus_service import CommandContext, Outcome

from .api.models import EnvelopeOut, RequestOut
from .domain.commands import (
    ApproveFunding,
    DisburseFunding,
    OpenEnvelope,
    ReleaseFunding,
    RequestCommand,
    RequestFunding,
)
from .domain.decider import decide, evolve
from .domain.errors import RequestNotFoundError
from .domain.state import RequestState, State


def envelope_stream(envelope_id: UUID) -> str:
    return stream_id("envelope", envelope_id)


def request_stream(request_id: UUID) -> str:
    return stream_id("request", request_id)


async def load(store: EventStore, *streams: str) -> tuple[State, dict[str, int]]:
    """The state folded from ``streams`` (in order), and each stream's version."""
    state, versions = State(), {}
    for stream in streams:
        envelopes = await store.read_stream(stream)
        versions[stream] = envelopes[-1].stream_version if envelopes else 0
        for recorded in envelopes:
            state = _decided(evolve(state, recorded.event()), recorded)
    return state, versions


DECISIONS = frozenset({"FundingApproved", "FundingRejected", "FundingDismissed"})


def _decided(state: State, recorded: Envelope) -> State:
    """``state`` with who decided its request and when, if ``recorded`` is the decision."""
    if recorded.type not in DECISIONS or state.request is None:
        return state
    decided = {"decided_by": recorded.actor.id, "decided_at": recorded.occurred_at}
    return state.model_copy(update={"request": state.request.model_copy(update=decided)})


async def project_requests(
    store: EventStore, project_id: UUID, *, but: UUID | None = None
) -> tuple[RequestState, ...]:
    """The project's funding requests (but ``but``), from the log: an approval sees the one granted
    just before it (approvals on one envelope are serialised by its stream's version)."""
    found = []
    for stream in await store.streams_with("FundingRequested", "project_id", str(project_id)):
        state, _ = await load(store, stream)
        if state.request is not None and state.request.request_id != but:
            found.append(state.request)
    return tuple(found)


def _wrap(ctx: CommandContext, events: list[CampusEvent], ministry: str | None) -> list[Envelope]:
    wrapped = []
    for event in events:
        # Funding events name their aggregate's id as ``<aggregate>_id`` (envelope_id, request_id).
        aggregate_id = getattr(event, f"{event.aggregate}_id")
        wrapped.append(ctx.envelope(event, aggregate_id, ministry=None if event.public else ministry))
    return wrapped


def _fold(state: State, events: list[CampusEvent]) -> State:
    for event in events:
        state = evolve(state, event)
    return state


async def open_envelope(store: EventStore, ctx: CommandContext, command: OpenEnvelope) -> Outcome:
    stream = envelope_stream(command.envelope_id)
    state, versions = await load(store, stream)
    events = decide(state, command)
    after = _fold(state, events)
    assert after.envelope is not None
    return Outcome(
        _wrap(ctx, events, None),
        versions,
        EnvelopeOut.of(after.envelope, disbursed_cents=0),
        status=201,
        location=f"/v1/envelopes/{command.envelope_id}",
    )


async def request_funding(store: EventStore, ctx: CommandContext, command: RequestFunding) -> Outcome:
    state, _ = await load(store, envelope_stream(command.envelope_id))
    others = await project_requests(store, command.project_id)
    events = decide(state.model_copy(update={"project_requests": others}), command)
    after = _fold(state, events)
    assert after.request is not None
    # Only the new request's stream is written: the envelope's rules do not change once opened.
    return Outcome(
        _wrap(ctx, events, command.ministry),
        {request_stream(command.request_id): 0},
        RequestOut.of(after.request),
        status=201,
        location=f"/v1/funding-requests/{command.request_id}",
    )


async def decide_on_request(
    store: EventStore,
    ctx: CommandContext,
    command: RequestCommand,
) -> Outcome:
    """Every step of an existing request: its stream, plus its envelope's when money moves."""
    state, versions = await load(store, request_stream(command.request_id))
    request = state.request
    if request is None:
        raise RequestNotFoundError(f"funding request {command.request_id} does not exist")
    if isinstance(command, ApproveFunding | ReleaseFunding):
        with_envelope, envelope_versions = await load(store, envelope_stream(request.envelope_id))
        state = state.model_copy(update={"envelope": with_envelope.envelope})
        versions.update(envelope_versions)
    if isinstance(command, ApproveFunding):
        others = await project_requests(store, request.project_id, but=command.request_id)
        state = state.model_copy(update={"project_requests": others})
    events = decide(state, command)
    after = _fold(state, events)
    assert after.request is not None
    envelopes = _wrap(ctx, events, after.request.ministry)
    for recorded in envelopes:  # the answer carries the decision as a read will (who, when)
        after = _decided(after, recorded)
    assert after.request is not None
    body = RequestOut.of(after.request)
    if isinstance(command, DisburseFunding):  # a disbursement is created in its collection
        location = f"/v1/funding-requests/{command.request_id}"
        return Outcome(envelopes, versions, body, status=201, location=location)
    return Outcome(envelopes, versions, body)


async def project_stage(pool: asyncpg.Pool, project_id: UUID) -> tuple[str | None, str | None]:
    """The project's (stage, ministry) as the ``funding-projects`` projection knows them."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT stage, ministry FROM funding_projects WHERE project_id = $1", project_id
        )
    return (None, None) if row is None else (row["stage"], row["ministry"])

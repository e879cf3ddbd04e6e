"""Aggregate states, folded from events with ``evolve``: an envelope and a funding request."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from campus_events.contracts.funding import (
    EnvelopeFundsReleased,
    EnvelopeFundsReserved,
    EnvelopeOpened,
    FundingApproved,
    FundingDisbursed,
    FundingDismissed,
    FundingRejected,
    FundingReleased,
    FundingRequested,
    FundingReviewStarted,
)
from campus_events.contracts.vocab import ProfileCount, SelectionCriterion
from campus_events.registry import CampusEvent


class RequestStatus(StrEnum):
    REQUESTED = "requested"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    DISMISSED = "dismissed"
    CLOSED = "closed"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class EnvelopeState(Frozen):
    envelope_id: UUID
    name: str
    year: int
    amount_cents: int
    min_project_cents: int
    max_project_cents: int
    max_rate: float
    # Net commitment: reserved by approvals minus what closed requests released.
    reserved_cents: int = 0

    @property
    def available_cents(self) -> int:
        return self.amount_cents - self.reserved_cents


class RequestState(Frozen):
    request_id: UUID
    project_id: UUID
    envelope_id: UUID
    ministry: str
    project_cost_cents: int
    requested_cents: int
    agents_targeted: tuple[ProfileCount, ...] = ()
    expected_satisfaction_rate: float = 0.0
    expected_savings_cents: int = 0
    criteria: tuple[SelectionCriterion, ...] = ()
    summary: str = ""
    requested_by: UUID | None = None
    status: RequestStatus = RequestStatus.REQUESTED
    granted_cents: int = 0
    disbursed_cents: int = 0
    released_cents: int = 0
    tranches: int = 0
    motivation: str | None = None
    decision: RequestStatus | None = None
    # Who decided and when: the decision event's envelope (actor, time), set where envelopes are read.
    decided_by: UUID | None = None
    decided_at: datetime | None = None

    @property
    def remaining_cents(self) -> int:
        """Granted and neither disbursed nor released yet: what is still reserved for it."""
        return self.granted_cents - self.disbursed_cents - self.released_cents


class State(Frozen):
    """What a command decides on: the envelope and, for request commands, the request."""

    envelope: EnvelopeState | None = None
    request: RequestState | None = None
    # The project's other funding requests (read from the log by the handler, not folded here):
    # a project is co-funded up to the envelope's rate of its cost through one request.
    project_requests: tuple[RequestState, ...] = ()


def evolve(state: State, event: CampusEvent) -> State:
    """The state after ``event``; events of the other aggregate leave their part untouched."""
    match event:
        case EnvelopeOpened():
            envelope = EnvelopeState(
                envelope_id=event.envelope_id,
                name=event.name,
                year=event.year,
                amount_cents=event.amount_cents,
                min_project_cents=event.min_project_cents,
                max_project_cents=event.max_project_cents,
                max_rate=event.max_rate,
            )
            return state.model_copy(update={"envelope": envelope})
        case EnvelopeFundsReserved() if state.envelope is not None:
            reserved = state.envelope.reserved_cents + event.amount_cents
            return state.model_copy(
                update={"envelope": state.envelope.model_copy(update={"reserved_cents": reserved})}
            )
        case EnvelopeFundsReleased() if state.envelope is not None:
            reserved = state.envelope.reserved_cents - event.amount_cents
            return state.model_copy(
                update={"envelope": state.envelope.model_copy(update={"reserved_cents": reserved})}
            )
        case FundingRequested():
            request = RequestState(
                request_id=event.request_id,
                project_id=event.project_id,
                envelope_id=event.envelope_id,
                ministry=event.ministry,
                project_cost_cents=event.project_cost_cents,
                requested_cents=event.requested_cents,
                agents_targeted=tuple(event.agents_targeted),
                expected_satisfaction_rate=event.expected_satisfaction_rate,
                expected_savings_cents=event.expected_savings_cents,
                criteria=tuple(event.criteria),
                summary=event.summary,
                requested_by=event.requested_by,
            )
            return state.model_copy(update={"request": request})
    if state.request is None:
        return state
    return state.model_copy(update={"request": _evolve_request(state.request, event)})


def _evolve_request(request: RequestState, event: CampusEvent) -> RequestState:
    match event:
        case FundingReviewStarted():
            return request.model_copy(update={"status": RequestStatus.UNDER_REVIEW})
        case FundingApproved():
            return request.model_copy(
                update={
                    "status": RequestStatus.APPROVED,
                    "decision": RequestStatus.APPROVED,
                    "granted_cents": event.granted_cents,
                    "motivation": event.motivation,
                }
            )
        case FundingRejected():
            return request.model_copy(
                update={
                    "status": RequestStatus.REJECTED,
                    "decision": RequestStatus.REJECTED,
                    "motivation": event.motivation,
                }
            )
        case FundingDismissed():
            return request.model_copy(
                update={
                    "status": RequestStatus.DISMISSED,
                    "decision": RequestStatus.DISMISSED,
                    "motivation": event.motivation,
                }
            )
        case FundingDisbursed():
            disbursed = request.disbursed_cents + event.amount_cents
            # Fully paid out: nothing stays reserved, the request is closed.
            status = RequestStatus.CLOSED if disbursed >= request.granted_cents else request.status
            return request.model_copy(
                update={"disbursed_cents": disbursed, "tranches": event.tranche, "status": status}
            )
        case FundingReleased():
            return request.model_copy(
                update={"status": RequestStatus.CLOSED, "released_cents": event.released_cents}
            )
    return request

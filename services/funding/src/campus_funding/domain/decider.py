"""``decide(state, command) -> events``: the FTAP guichet's rules, without I/O.

Money is integer cents; the envelope's net reservation never exceeds its amount, and a request
never pays out more than it was granted.
"""

from __future__ import annotations

from uuid import UUID

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
from campus_events.contracts.vocab import ProjectStage
from campus_events.registry import CampusEvent

from .commands import (
    ApproveFunding,
    Command,
    DisburseFunding,
    DismissFunding,
    OpenEnvelope,
    RejectFunding,
    ReleaseFunding,
    RequestFunding,
    StartReview,
)
from .errors import (
    AmountAboveLimitError,
    EnvelopeAlreadyOpenedError,
    EnvelopeExhaustedError,
    EnvelopeNotFoundError,
    InvalidEnvelopeError,
    InvalidTransitionError,
    ProjectAlreadyFundedError,
    ProjectCostOutOfBoundsError,
    ProjectNotReadyError,
    RateAboveMaximumError,
    RequestNotFoundError,
)
from .state import EnvelopeState, RequestState, RequestStatus, State, evolve

__all__ = ["decide", "evolve"]

OPEN = (RequestStatus.REQUESTED, RequestStatus.UNDER_REVIEW)


def decide(state: State, command: Command) -> list[CampusEvent]:
    """The events ``command`` produces on ``state``, or a ``FundingError`` saying why not."""
    match command:
        case OpenEnvelope():
            return _open_envelope(state, command)
        case RequestFunding():
            return _request_funding(state, command)
    request = _request(state)
    ref = {
        "request_id": request.request_id,
        "project_id": request.project_id,
        "envelope_id": request.envelope_id,
    }
    match command:
        case StartReview():
            _require(request, (RequestStatus.REQUESTED,), "start a review of")
            return [FundingReviewStarted(**ref)]
        case ApproveFunding():
            return _approve(state, request, command, ref)
        case RejectFunding():
            _require(request, OPEN, "reject")
            return [FundingRejected(**ref, motivation=command.motivation)]
        case DismissFunding():
            _require(request, OPEN, "dismiss")
            return [FundingDismissed(**ref, motivation=command.motivation)]
        case DisburseFunding():
            _require(request, (RequestStatus.APPROVED,), "disburse funds of")
            if command.amount_cents > request.remaining_cents:
                raise AmountAboveLimitError(
                    f"amount_cents {command.amount_cents} is above what remains of the grant"
                    f" ({request.remaining_cents} of {request.granted_cents} granted)",
                    field="amount_cents",
                )
            return [FundingDisbursed(**ref, amount_cents=command.amount_cents, tranche=request.tranches + 1)]
        case ReleaseFunding():
            _require(request, (RequestStatus.APPROVED,), "release funds of")
            left = request.remaining_cents
            released: list[CampusEvent] = [FundingReleased(**ref, released_cents=left)]
            if left:
                released.append(
                    EnvelopeFundsReleased(
                        envelope_id=request.envelope_id, request_id=request.request_id, amount_cents=left
                    )
                )
            return released
    raise TypeError(f"unknown command {type(command).__name__}")


def _open_envelope(state: State, command: OpenEnvelope) -> list[CampusEvent]:
    if state.envelope is not None:
        raise EnvelopeAlreadyOpenedError(f"envelope {command.envelope_id} is already open")
    if command.min_project_cents > command.max_project_cents:
        raise InvalidEnvelopeError(
            "min_project_cents must not be above max_project_cents", field="min_project_cents"
        )
    return [
        EnvelopeOpened(
            envelope_id=command.envelope_id,
            name=command.name,
            year=command.year,
            amount_cents=command.amount_cents,
            min_project_cents=command.min_project_cents,
            max_project_cents=command.max_project_cents,
            max_rate=command.max_rate,
        )
    ]


def _request_funding(state: State, command: RequestFunding) -> list[CampusEvent]:
    envelope = _envelope(state, command.envelope_id)
    cost = command.project_cost_cents
    if not envelope.min_project_cents <= cost <= envelope.max_project_cents:
        raise ProjectCostOutOfBoundsError(
            f"project_cost_cents {cost} is outside the envelope's bounds"
            f" ({envelope.min_project_cents} to {envelope.max_project_cents})",
            field="project_cost_cents",
        )
    # Compare in integers: requested / cost > max_rate, without float rounding on the cents.
    if command.requested_cents > cost * envelope.max_rate + 1e-9:
        raise RateAboveMaximumError(
            f"requested_cents {command.requested_cents} is {command.requested_cents / cost:.2%} of the"
            f" project's cost, above the envelope's max_rate of {envelope.max_rate:.0%}",
            field="requested_cents",
        )
    for other in state.project_requests:  # one request at a time, and none once one was granted
        if other.status in OPEN or other.decision == RequestStatus.APPROVED:
            raise ProjectAlreadyFundedError(
                f"project {command.project_id} already has funding request {other.request_id}"
                f" ({other.status.value}): a project is co-funded through one request"
                " (a new one may follow a rejected or dismissed request)"
            )
    if command.project_stage is None:
        raise ProjectNotReadyError(
            f"project {command.project_id} is not yet known to the funding service — retry shortly"
        )
    if command.project_stage != ProjectStage.DESIGN:
        raise ProjectNotReadyError(
            f"project {command.project_id} is in stage {command.project_stage.value}:"
            " funding can be requested only in design"
        )
    return [
        FundingRequested(
            request_id=command.request_id,
            project_id=command.project_id,
            envelope_id=command.envelope_id,
            ministry=command.ministry,
            project_cost_cents=cost,
            requested_cents=command.requested_cents,
            agents_targeted=list(command.agents_targeted),
            expected_satisfaction_rate=command.expected_satisfaction_rate,
            expected_savings_cents=command.expected_savings_cents,
            criteria=list(command.criteria),
            summary=command.summary,
            requested_by=command.actor_id,
        )
    ]


def _approve(
    state: State, request: RequestState, command: ApproveFunding, ref: dict[str, UUID]
) -> list[CampusEvent]:
    _require(request, (RequestStatus.UNDER_REVIEW,), "approve")
    for other in state.project_requests:  # two requests filed at once: only one may be granted
        if other.request_id != request.request_id and other.decision == RequestStatus.APPROVED:
            raise ProjectAlreadyFundedError(
                f"project {request.project_id} was already granted funding by request"
                f" {other.request_id}: a project is co-funded through one request"
            )
    if command.granted_cents > request.requested_cents:
        raise AmountAboveLimitError(
            f"granted_cents {command.granted_cents} is above the requested {request.requested_cents}",
            field="granted_cents",
        )
    envelope = _envelope(state, request.envelope_id)
    if command.granted_cents > envelope.available_cents:
        raise EnvelopeExhaustedError(
            f"the envelope has {envelope.available_cents} cents available,"
            f" less than the {command.granted_cents} to grant"
        )
    return [
        FundingApproved(**ref, granted_cents=command.granted_cents, motivation=command.motivation),
        EnvelopeFundsReserved(
            envelope_id=envelope.envelope_id,
            request_id=request.request_id,
            amount_cents=command.granted_cents,
        ),
    ]


def _envelope(state: State, envelope_id: object) -> EnvelopeState:
    if state.envelope is None:
        raise EnvelopeNotFoundError(f"envelope {envelope_id} does not exist", field="envelope_id")
    return state.envelope


def _request(state: State) -> RequestState:
    if state.request is None:
        raise RequestNotFoundError("this funding request does not exist")
    return state.request


def _require(request: RequestState, allowed: tuple[RequestStatus, ...], action: str) -> None:
    if request.status not in allowed:
        expected = " or ".join(s.value for s in allowed)
        raise InvalidTransitionError(
            f"cannot {action} a request that is {request.status.value}: it must be {expected}"
        )

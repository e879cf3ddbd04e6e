"""The decider, given events / when a command / then events or an error. No I/O."""

from __future__ import annotations

import uuid

import pytest

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
from campus_funding.domain import commands as c
from campus_funding.domain import errors as e
from campus_funding.domain.decider import decide, evolve
from campus_funding.domain.state import RequestStatus, State

ACTOR, ENVELOPE, REQUEST, PROJECT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
REF = {"request_id": REQUEST, "project_id": PROJECT, "envelope_id": ENVELOPE}

OPENED = EnvelopeOpened(
    envelope_id=ENVELOPE,
    name="FTAP",
    year=2026,
    amount_cents=200_000_000,
    min_project_cents=2_000_000,
    max_project_cents=30_000_000,
    max_rate=0.5,
)
REQUESTED = FundingRequested(
    **REF,
    ministry="mefsin",
    project_cost_cents=20_000_000,
    requested_cents=10_000_000,
    expected_satisfaction_rate=0.8,
    expected_savings_cents=0,
    summary="IA générative",
    requested_by=ACTOR,
)
REVIEWING = FundingReviewStarted(**REF)
APPROVED = FundingApproved(**REF, granted_cents=8_000_000)
RESERVED = EnvelopeFundsReserved(envelope_id=ENVELOPE, request_id=REQUEST, amount_cents=8_000_000)


def given(*events):
    state = State()
    for event in events:
        state = evolve(state, event)
    return state


def request_funding(**overrides):
    fields = {
        "actor_id": ACTOR,
        "request_id": REQUEST,
        "project_id": PROJECT,
        "envelope_id": ENVELOPE,
        "ministry": "mefsin",
        "project_cost_cents": 20_000_000,
        "requested_cents": 10_000_000,
        "expected_satisfaction_rate": 0.8,
        "expected_savings_cents": 0,
        "summary": "IA générative",
        "project_stage": ProjectStage.DESIGN,
        **overrides,
    }
    return c.RequestFunding(**fields)


def open_envelope(**overrides):
    fields = {k: v for k, v in OPENED.model_dump().items()}
    return c.OpenEnvelope(actor_id=ACTOR, **{**fields, **overrides})


# --- envelopes -------------------------------------------------------------------------------


def test_open_envelope():
    assert decide(given(), open_envelope()) == [OPENED]


def test_open_envelope_twice_is_refused():
    with pytest.raises(e.EnvelopeAlreadyOpenedError):
        decide(given(OPENED), open_envelope())


def test_open_envelope_with_inverted_bounds_is_refused():
    with pytest.raises(e.InvalidEnvelopeError) as refused:
        decide(given(), open_envelope(min_project_cents=40_000_000))
    assert refused.value.field == "min_project_cents"


# --- requesting ------------------------------------------------------------------------------


def test_request_funding_for_a_project_in_design():
    assert decide(given(OPENED), request_funding()) == [REQUESTED]


def test_request_on_an_unknown_envelope_is_refused():
    with pytest.raises(e.EnvelopeNotFoundError):
        decide(given(), request_funding())


@pytest.mark.parametrize("cost", [1_999_999, 30_000_001])
def test_request_outside_the_cost_bounds_is_refused(cost):
    with pytest.raises(e.ProjectCostOutOfBoundsError) as refused:
        decide(given(OPENED), request_funding(project_cost_cents=cost, requested_cents=1))
    assert refused.value.field == "project_cost_cents"


def test_request_at_exactly_the_bounds_and_rate_is_accepted():
    assert decide(given(OPENED), request_funding(project_cost_cents=2_000_000, requested_cents=1_000_000))


def test_request_above_the_max_rate_is_refused():
    with pytest.raises(e.RateAboveMaximumError) as refused:
        decide(given(OPENED), request_funding(requested_cents=10_000_001))
    assert refused.value.field == "requested_cents" and "50%" in refused.value.detail


def test_request_for_a_project_not_known_yet_is_refused():
    with pytest.raises(e.ProjectNotReadyError, match="not yet known to the funding service"):
        decide(given(OPENED), request_funding(project_stage=None))


@pytest.mark.parametrize("stage", [s for s in ProjectStage if s != ProjectStage.DESIGN])
def test_request_for_a_project_outside_design_is_refused(stage):
    with pytest.raises(e.ProjectNotReadyError, match=stage.value):
        decide(given(OPENED), request_funding(project_stage=stage))


def another_request(*events):
    """The state of another request of the same project, after ``events`` of its own."""
    other = {**REF, "request_id": uuid.uuid4()}
    state = given(FundingRequested(**{**REQUESTED.model_dump(), **other}))
    for make in events:
        state = evolve(state, make(other))
    assert state.request is not None
    return state.request


REVIEW_IT = lambda ref: FundingReviewStarted(**ref)  # noqa: E731 - the steps another request went through
GRANT_IT = lambda ref: FundingApproved(**ref, granted_cents=5_000_000)  # noqa: E731
PAY_IT = lambda ref: FundingDisbursed(**ref, amount_cents=5_000_000, tranche=1)  # noqa: E731


@pytest.mark.parametrize(
    "steps", [(), (REVIEW_IT,), (REVIEW_IT, GRANT_IT), (REVIEW_IT, GRANT_IT, PAY_IT)], ids=len
)
def test_a_project_with_a_request_open_or_granted_gets_no_second_one(steps):
    other = another_request(*steps)
    state = given(OPENED).model_copy(update={"project_requests": (other,)})
    with pytest.raises(e.ProjectAlreadyFundedError, match=str(other.request_id)):
        decide(state, request_funding())


@pytest.mark.parametrize("ending", [FundingRejected, FundingDismissed])
def test_a_project_may_apply_again_after_a_rejection_or_a_dismissal(ending):
    other = another_request(REVIEW_IT, lambda ref: ending(**ref, motivation="Dossier incomplet."))
    state = given(OPENED).model_copy(update={"project_requests": (other,)})
    assert decide(state, request_funding()) == [REQUESTED]


def test_of_two_requests_filed_at_once_for_one_project_only_one_is_granted():
    command = c.ApproveFunding(actor_id=ACTOR, request_id=REQUEST, granted_cents=8_000_000)
    reviewing = given(OPENED, REQUESTED, REVIEWING)
    # The other one still under review: this approval goes through.
    pending = reviewing.model_copy(update={"project_requests": (another_request(REVIEW_IT),)})
    assert decide(pending, command) == [APPROVED, RESERVED]
    granted = another_request(REVIEW_IT, GRANT_IT)
    with pytest.raises(e.ProjectAlreadyFundedError, match=str(granted.request_id)):
        decide(reviewing.model_copy(update={"project_requests": (granted,)}), command)


# --- decisions -------------------------------------------------------------------------------


def test_start_review():
    assert decide(given(REQUESTED), c.StartReview(actor_id=ACTOR, request_id=REQUEST)) == [REVIEWING]


def test_start_review_twice_is_refused():
    with pytest.raises(e.InvalidTransitionError):
        decide(given(REQUESTED, REVIEWING), c.StartReview(actor_id=ACTOR, request_id=REQUEST))


def test_a_step_on_an_unknown_request_is_refused():
    with pytest.raises(e.RequestNotFoundError):
        decide(given(OPENED), c.StartReview(actor_id=ACTOR, request_id=REQUEST))


def test_approve_reserves_on_the_envelope():
    command = c.ApproveFunding(actor_id=ACTOR, request_id=REQUEST, granted_cents=8_000_000)
    assert decide(given(OPENED, REQUESTED, REVIEWING), command) == [APPROVED, RESERVED]


def test_approve_before_review_is_refused():
    with pytest.raises(e.InvalidTransitionError, match="requested"):
        decide(
            given(OPENED, REQUESTED), c.ApproveFunding(actor_id=ACTOR, request_id=REQUEST, granted_cents=1)
        )


def test_approve_above_the_request_is_refused():
    with pytest.raises(e.AmountAboveLimitError) as refused:
        decide(
            given(OPENED, REQUESTED, REVIEWING),
            c.ApproveFunding(actor_id=ACTOR, request_id=REQUEST, granted_cents=10_000_001),
        )
    assert refused.value.field == "granted_cents"


def test_approve_beyond_what_is_available_is_refused():
    other = EnvelopeFundsReserved(envelope_id=ENVELOPE, request_id=uuid.uuid4(), amount_cents=195_000_000)
    with pytest.raises(e.EnvelopeExhaustedError, match="5000000"):
        decide(
            given(OPENED, other, REQUESTED, REVIEWING),
            c.ApproveFunding(actor_id=ACTOR, request_id=REQUEST, granted_cents=5_000_001),
        )


def test_funds_released_elsewhere_become_available_again():
    other = uuid.uuid4()
    state = given(
        OPENED,
        EnvelopeFundsReserved(envelope_id=ENVELOPE, request_id=other, amount_cents=200_000_000),
        EnvelopeFundsReleased(envelope_id=ENVELOPE, request_id=other, amount_cents=8_000_000),
        REQUESTED,
        REVIEWING,
    )
    command = c.ApproveFunding(actor_id=ACTOR, request_id=REQUEST, granted_cents=8_000_000)
    assert decide(state, command) == [APPROVED, RESERVED]


@pytest.mark.parametrize("before", [(REQUESTED,), (REQUESTED, REVIEWING)])
def test_reject_and_dismiss_an_open_request(before):
    state = given(*before)
    assert decide(state, c.RejectFunding(actor_id=ACTOR, request_id=REQUEST, motivation="Non.")) == [
        FundingRejected(**REF, motivation="Non.")
    ]
    assert decide(state, c.DismissFunding(actor_id=ACTOR, request_id=REQUEST, motivation="Incomplet.")) == [
        FundingDismissed(**REF, motivation="Incomplet.")
    ]


def test_reject_a_decided_request_is_refused():
    with pytest.raises(e.InvalidTransitionError, match="approved"):
        decide(
            given(REQUESTED, REVIEWING, APPROVED),
            c.RejectFunding(actor_id=ACTOR, request_id=REQUEST, motivation="x"),
        )


def test_dismiss_a_rejected_request_is_refused():
    rejected = FundingRejected(**REF, motivation="Non.")
    with pytest.raises(e.InvalidTransitionError, match="rejected"):
        decide(
            given(REQUESTED, rejected), c.DismissFunding(actor_id=ACTOR, request_id=REQUEST, motivation="x")
        )


def test_approve_a_rejected_request_is_refused():
    rejected = FundingRejected(**REF, motivation="Non.")
    with pytest.raises(e.InvalidTransitionError, match="rejected"):
        decide(
            given(OPENED, REQUESTED, rejected),
            c.ApproveFunding(actor_id=ACTOR, request_id=REQUEST, granted_cents=1),
        )


# --- money out -------------------------------------------------------------------------------


def test_disburse_in_tranches_then_closed_when_fully_paid():
    state = given(REQUESTED, REVIEWING, APPROVED)
    first = decide(state, c.DisburseFunding(actor_id=ACTOR, request_id=REQUEST, amount_cents=3_000_000))
    assert first == [FundingDisbursed(**REF, amount_cents=3_000_000, tranche=1)]
    state = given(REQUESTED, REVIEWING, APPROVED, *first)
    second = decide(state, c.DisburseFunding(actor_id=ACTOR, request_id=REQUEST, amount_cents=5_000_000))
    assert second == [FundingDisbursed(**REF, amount_cents=5_000_000, tranche=2)]
    assert given(REQUESTED, REVIEWING, APPROVED, *first, *second).request.status == RequestStatus.CLOSED


def test_disburse_above_the_grant_is_refused():
    paid = FundingDisbursed(**REF, amount_cents=3_000_000, tranche=1)
    with pytest.raises(e.AmountAboveLimitError) as refused:
        decide(
            given(REQUESTED, REVIEWING, APPROVED, paid),
            c.DisburseFunding(actor_id=ACTOR, request_id=REQUEST, amount_cents=5_000_001),
        )
    assert refused.value.field == "amount_cents"


def test_disburse_before_approval_is_refused():
    with pytest.raises(e.InvalidTransitionError):
        decide(
            given(REQUESTED, REVIEWING), c.DisburseFunding(actor_id=ACTOR, request_id=REQUEST, amount_cents=1)
        )


def test_release_returns_what_was_not_disbursed():
    paid = FundingDisbursed(**REF, amount_cents=3_000_000, tranche=1)
    state = given(OPENED, RESERVED, REQUESTED, REVIEWING, APPROVED, paid)
    assert decide(state, c.ReleaseFunding(actor_id=ACTOR, request_id=REQUEST)) == [
        FundingReleased(**REF, released_cents=5_000_000),
        EnvelopeFundsReleased(envelope_id=ENVELOPE, request_id=REQUEST, amount_cents=5_000_000),
    ]
    after = given(
        OPENED,
        RESERVED,
        REQUESTED,
        REVIEWING,
        APPROVED,
        paid,
        *decide(state, c.ReleaseFunding(actor_id=ACTOR, request_id=REQUEST)),
    )
    assert after.request.status == RequestStatus.CLOSED and after.envelope.reserved_cents == 3_000_000


def test_release_a_closed_request_is_refused():
    paid = FundingDisbursed(**REF, amount_cents=8_000_000, tranche=1)
    with pytest.raises(e.InvalidTransitionError, match="closed"):
        decide(
            given(REQUESTED, REVIEWING, APPROVED, paid), c.ReleaseFunding(actor_id=ACTOR, request_id=REQUEST)
        )

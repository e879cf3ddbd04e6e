"""Funding events (stream ``CAMPUS_FUNDING``): FTAP envelopes (public) and requests (ministry).

Approving a request reserves funds on its envelope: ``FundingApproved`` on the request and
``EnvelopeFundsReserved`` on the envelope are appended together. Decisions carry their
motivation; the decider's pseudonymous id is the envelope's actor.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from ..registry import CampusEvent, registry
from .vocab import AgentId, Cents, MinistryCode, ProfileCount, Rate, SelectionCriterion


class EnvelopeEvent(CampusEvent):
    """Base of the envelope events: the budget of one campaign, public."""

    context = "funding"
    aggregate = "envelope"
    public = True

    envelope_id: UUID


class RequestEvent(CampusEvent):
    """Base of the funding request events, scoped to the requesting ministry."""

    context = "funding"
    aggregate = "request"
    public = False

    request_id: UUID
    project_id: UUID
    envelope_id: UUID


@registry.register
class EnvelopeOpened(EnvelopeEvent):
    """The funding committee opened an envelope (one per campaign) with its rules."""

    name: str = Field(min_length=1, description="The campaign's name (not a person's).")
    year: int
    amount_cents: Cents
    min_project_cents: Cents = Field(description="Smallest eligible project cost.")
    max_project_cents: Cents = Field(description="Largest eligible project cost.")
    max_rate: Rate = Field(description="Largest share of a project's cost the envelope may fund.")


@registry.register
class EnvelopeFundsReserved(EnvelopeEvent):
    """Funds were reserved on the envelope for an approved request."""

    request_id: UUID
    amount_cents: Cents


@registry.register
class EnvelopeFundsReleased(EnvelopeEvent):
    """What a closed request had reserved and not disbursed returned to the envelope."""

    request_id: UUID
    amount_cents: Cents


@registry.register
class FundingRequested(RequestEvent):
    """A manager applied for co-funding of a project in design, with its planned indicators."""

    ministry: MinistryCode
    project_cost_cents: Cents
    requested_cents: Cents
    agents_targeted: list[ProfileCount] = Field(default_factory=list, description="Planned, by profile.")
    expected_satisfaction_rate: Rate
    expected_savings_cents: Cents
    criteria: list[SelectionCriterion] = Field(
        default_factory=list, description="The selection criteria the project addresses."
    )
    summary: str
    requested_by: AgentId


@registry.register
class FundingReviewStarted(RequestEvent):
    """The committee started reviewing the request."""


@registry.register
class FundingApproved(RequestEvent):
    """The committee granted co-funding; the amount is reserved on the envelope."""

    granted_cents: Cents
    motivation: str | None = None


@registry.register
class FundingRejected(RequestEvent):
    """The committee turned the request down."""

    motivation: str


@registry.register
class FundingDismissed(RequestEvent):
    """The request was closed without follow-up (withdrawn, ineligible, incomplete)."""

    motivation: str


@registry.register
class FundingDisbursed(RequestEvent):
    """A tranche of the granted amount was paid out."""

    amount_cents: Cents
    tranche: int = Field(ge=1, description="1 for the first payment, then 2, 3…")


@registry.register
class FundingReleased(RequestEvent):
    """The request was closed; what was granted and not disbursed is released."""

    released_cents: Cents

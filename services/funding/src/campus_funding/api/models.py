"""Request (``…In``) and response (``…Out``) models of the funding API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from campus_events.contracts.vocab import SelectionCriterion
from campus_service.body import distinct_by

from ..domain.state import EnvelopeState, RequestState, RequestStatus

# StrictInt: 1.5 or "100" is refused rather than coerced; money is whole cents, never negative.
# StrictFloat for rates: any JSON number, not "0.5" nor true.
PositiveCents = Annotated[StrictInt, Field(gt=0, le=10**13)]
Cents = Annotated[StrictInt, Field(ge=0, le=10**13)]
Motivation = Annotated[str, Field(min_length=1, max_length=4000)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EnvelopeIn(In):
    name: str = Field(min_length=1, max_length=200, description="The campaign's name.")
    year: StrictInt = Field(ge=2000, le=2100)
    amount_cents: PositiveCents
    min_project_cents: Cents = 2_000_000
    max_project_cents: PositiveCents = 30_000_000
    max_rate: StrictFloat = Field(default=0.5, gt=0, le=1, description="0.5 is 50 %.")


class ProfileCountIn(In):
    profile: str = Field(min_length=1, max_length=100)
    count: StrictInt = Field(ge=0, le=10_000_000)


class FundingRequestIn(In):
    project_id: UUID
    envelope_id: UUID
    project_cost_cents: PositiveCents
    requested_cents: PositiveCents
    agents_targeted: Annotated[list[ProfileCountIn], AfterValidator(distinct_by("profile"))] = Field(
        default_factory=list, max_length=50
    )  # one entry per profile
    expected_satisfaction_rate: StrictFloat = Field(ge=0, le=1)
    expected_savings_cents: Cents = 0
    criteria: list[SelectionCriterion] = Field(default_factory=list, max_length=6)
    summary: str = Field(min_length=1, max_length=4000)


class ApprovalIn(In):
    granted_cents: PositiveCents
    motivation: str | None = Field(default=None, min_length=1, max_length=4000)


class MotivationIn(In):
    motivation: Motivation


class DisbursementIn(In):
    amount_cents: PositiveCents


class EnvelopeOut(BaseModel):
    id: UUID
    name: str
    year: int
    amount_cents: int
    min_project_cents: int
    max_project_cents: int
    max_rate: float
    reserved_cents: int
    disbursed_cents: int
    available_cents: int

    @classmethod
    def of(cls, envelope: EnvelopeState, *, disbursed_cents: int) -> EnvelopeOut:
        return cls(
            id=envelope.envelope_id,
            name=envelope.name,
            year=envelope.year,
            amount_cents=envelope.amount_cents,
            min_project_cents=envelope.min_project_cents,
            max_project_cents=envelope.max_project_cents,
            max_rate=envelope.max_rate,
            reserved_cents=envelope.reserved_cents,
            disbursed_cents=disbursed_cents,
            available_cents=envelope.available_cents,
        )

    @classmethod
    def of_row(cls, row: Any) -> EnvelopeOut:
        return cls(
            id=row["envelope_id"],
            **{k: row[k] for k in cls.model_fields if k not in ("id", "available_cents")},
            available_cents=row["amount_cents"] - row["reserved_cents"],
        )


class EnvelopeListOut(BaseModel):
    items: list[EnvelopeOut]
    next_cursor: str | None


class LedgerEntryOut(BaseModel):
    event_id: UUID
    kind: str = Field(description="reserved, released or disbursed")
    request_id: UUID
    amount_cents: int
    occurred_at: datetime


class LedgerOut(BaseModel):
    envelope_id: UUID
    items: list[LedgerEntryOut]
    next_cursor: str | None
    reserved_cents: int = Field(description="Sum of the envelope's reservations minus its releases.")
    disbursed_cents: int


class DecisionOut(BaseModel):
    status: RequestStatus
    by: UUID | None = None
    at: datetime | None = None
    motivation: str | None = None


class ProfileCountOut(BaseModel):
    profile: str
    count: int


class RequestOut(BaseModel):
    id: UUID
    project_id: UUID
    envelope_id: UUID
    ministry: str
    status: RequestStatus
    project_cost_cents: int
    requested_cents: int
    granted_cents: int
    disbursed_cents: int
    released_cents: int
    remaining_cents: int = Field(description="Granted, still reserved: neither disbursed nor released.")
    tranches: int
    agents_targeted: list[ProfileCountOut]
    expected_satisfaction_rate: float
    expected_savings_cents: int
    criteria: list[SelectionCriterion]
    summary: str
    requested_by: UUID | None
    decision: DecisionOut | None = None

    @classmethod
    def of(cls, request: RequestState) -> RequestOut:
        return cls(
            id=request.request_id,
            project_id=request.project_id,
            envelope_id=request.envelope_id,
            ministry=request.ministry,
            status=request.status,
            project_cost_cents=request.project_cost_cents,
            requested_cents=request.requested_cents,
            granted_cents=request.granted_cents,
            disbursed_cents=request.disbursed_cents,
            released_cents=request.released_cents,
            remaining_cents=request.remaining_cents,
            tranches=request.tranches,
            agents_targeted=[
                ProfileCountOut(profile=p.profile, count=p.count) for p in request.agents_targeted
            ],
            expected_satisfaction_rate=request.expected_satisfaction_rate,
            expected_savings_cents=request.expected_savings_cents,
            criteria=list(request.criteria),
            summary=request.summary,
            requested_by=request.requested_by,
            decision=DecisionOut(
                status=request.decision,
                by=request.decided_by,
                at=request.decided_at,
                motivation=request.motivation,
            )
            if request.decision
            else None,
        )

    @classmethod
    def of_row(cls, row: Any) -> RequestOut:
        return cls(
            id=row["request_id"],
            **{k: row[k] for k in cls.model_fields if k not in ("id", "remaining_cents", "decision")},
            remaining_cents=row["granted_cents"] - row["disbursed_cents"] - row["released_cents"],
            decision=row["decision"],
        )


class RequestListOut(BaseModel):
    items: list[RequestOut]
    next_cursor: str | None

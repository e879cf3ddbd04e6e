"""Commands of the funding domain: imperative, validated, frozen."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict

from campus_events.contracts.vocab import ProfileCount, ProjectStage, SelectionCriterion


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)

    actor_id: UUID


class OpenEnvelope(Command):
    envelope_id: UUID
    name: str
    year: int
    amount_cents: int
    min_project_cents: int
    max_project_cents: int
    max_rate: float


class RequestFunding(Command):
    request_id: UUID
    project_id: UUID
    envelope_id: UUID
    ministry: str
    project_cost_cents: int
    requested_cents: int
    agents_targeted: tuple[ProfileCount, ...] = ()
    expected_satisfaction_rate: float
    expected_savings_cents: int
    criteria: tuple[SelectionCriterion, ...] = ()
    summary: str
    # The project's stage as this service's projection knows it (None: not known yet).
    project_stage: ProjectStage | None


class StartReview(Command):
    request_id: UUID


class ApproveFunding(Command):
    request_id: UUID
    granted_cents: int
    motivation: str | None = None


class RejectFunding(Command):
    request_id: UUID
    motivation: str


class DismissFunding(Command):
    request_id: UUID
    motivation: str


class DisburseFunding(Command):
    request_id: UUID
    amount_cents: int


class ReleaseFunding(Command):
    request_id: UUID


RequestCommand = (
    StartReview | ApproveFunding | RejectFunding | DismissFunding | DisburseFunding | ReleaseFunding
)
"""The steps of an existing funding request."""

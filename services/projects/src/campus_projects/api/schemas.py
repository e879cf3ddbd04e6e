"""Request (``…In``) and response (``…Out``) models of the projects API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from campus_events.contracts.vocab import FundingIntent, Modality, ProjectStage
from campus_service.body import distinct_by

Text = Annotated[str, Field(min_length=1, max_length=4000)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]


class In(BaseModel):
    # Integer fields are StrictInt (as in funding): "12", true or 12.0 is refused rather than taken
    # for 12 or 1. Per field, not strict=True here: FastAPI's path validates Python objects, where
    # a model-wide strict refuses UUIDs given as strings.
    model_config = ConfigDict(extra="forbid")


class ProfileCountIn(In):
    profile: ShortText
    count: StrictInt = Field(ge=0, le=1_000_000)


class ProfileReachIn(In):
    profile: ShortText
    agents_targeted: StrictInt = Field(ge=0, le=1_000_000)
    agents_reached: StrictInt = Field(ge=0, le=1_000_000)


# One entry per profile: two would count its agents twice in the FTAP indicators.
Profiles = Annotated[list[ProfileCountIn], Field(max_length=50), AfterValidator(distinct_by("profile"))]


class ProjectIn(In):
    title: ShortText
    service: ShortText
    team_size: StrictInt = Field(ge=1, le=1_000_000)
    agent_profiles: Profiles = Field(default_factory=list)
    expectations: Text


class NeedsAnalysisIn(In):
    findings: Text
    agent_profiles: Profiles = Field(default_factory=list)
    expectations: Text
    team_culture: Text


class ModuleIn(In):
    title: ShortText
    course_id: UUID | None = None
    trainer_ids: list[UUID] = Field(default_factory=list, max_length=50)
    modality: Modality
    duration_minutes: StrictInt = Field(ge=1, le=100_000)


class DesignIn(In):
    modules: list[ModuleIn] = Field(min_length=1, max_length=100)
    content_production: Text
    estimated_cost_cents: StrictInt = Field(ge=0, le=10**12)
    funding_intent: FundingIntent


class AdvanceIn(In):
    to_stage: ProjectStage


class ImplementationIn(In):
    sessions_delivered: StrictInt = Field(ge=0, le=100_000)
    participants: StrictInt = Field(ge=0, le=1_000_000)
    modality: Modality
    session_ids: list[UUID] = Field(default_factory=list, max_length=500)


class EvaluationIn(In):
    indicators: Annotated[list[ProfileReachIn], AfterValidator(distinct_by("profile"))] = Field(
        min_length=1, max_length=50, description="FTAP: agents targeted, then reached, by profile."
    )
    satisfaction_rate: StrictFloat = Field(ge=0, le=1)  # a JSON number: not "0.9" nor true
    savings_cents: StrictInt = Field(ge=0, le=10**12)
    summary: str = Field(default="", max_length=4000)


class AbandonIn(In):
    reason: Text


class ProjectOut(BaseModel):
    id: UUID
    ministry: str
    title: str
    service: str
    team_size: int
    agent_profiles: list[dict[str, Any]]
    expectations: str
    opened_by: UUID | None
    opened_at: datetime | None
    stage: ProjectStage
    stage_entered_at: datetime | None
    needs_analysis: dict[str, Any] | None
    design: dict[str, Any] | None
    implementation: dict[str, Any] | None
    evaluation: dict[str, Any] | None
    abandoned_reason: str | None
    version: int


class ProjectPage(BaseModel):
    items: list[ProjectOut]
    next_cursor: str | None


class FundingOut(BaseModel):
    request_id: UUID
    envelope_id: UUID | None
    status: str
    requested_cents: int
    granted_cents: int
    disbursed_cents: int
    released_cents: int


class PipelineItemOut(BaseModel):
    project_id: UUID
    ministry: str
    title: str
    stage: ProjectStage
    stage_entered_at: datetime | None
    seconds_in_stage: int
    funding: FundingOut | None


class StageCountOut(BaseModel):
    stage: ProjectStage
    ministry: str
    count: int


class PipelineOut(BaseModel):
    stages: list[StageCountOut]
    items: list[PipelineItemOut]
    next_cursor: str | None

"""Commands on a training project: what a caller asks for, already validated in itself."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from campus_events.contracts.projects import DesignedModule
from campus_events.contracts.vocab import FundingIntent, Modality, ProfileCount, ProfileReach, ProjectStage


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)

    project_id: UUID
    # Who asks: the decider checks ownership (owner or campus staff) where the contract says so.
    actor_id: UUID
    actor_is_staff: bool = False


class OpenProject(Command):
    ministry: str
    title: str
    service: str
    team_size: int
    agent_profiles: tuple[ProfileCount, ...] = ()
    expectations: str


class RecordNeedsAnalysis(Command):
    findings: str
    agent_profiles: tuple[ProfileCount, ...] = ()
    expectations: str
    team_culture: str


class DesignTrainingPath(Command):
    modules: tuple[DesignedModule, ...] = Field(min_length=1)
    content_production: str
    estimated_cost_cents: int = Field(ge=0)
    funding_intent: FundingIntent
    # What the handler found in this service's projections of the catalog and trainers events.
    known_course_ids: frozenset[UUID] = frozenset()
    known_trainer_ids: frozenset[UUID] = frozenset()


class AdvanceStage(Command):
    to_stage: ProjectStage


class RecordImplementation(Command):
    sessions_delivered: int
    participants: int
    modality: Modality
    session_ids: tuple[UUID, ...] = ()


class RecordEvaluation(Command):
    indicators: tuple[ProfileReach, ...] = Field(min_length=1)
    satisfaction_rate: float = Field(ge=0, le=1)
    savings_cents: int = Field(ge=0)
    summary: str = ""


class AbandonProject(Command):
    reason: str

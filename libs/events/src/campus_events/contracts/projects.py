"""Project events (stream ``CAMPUS_PROJECTS``), scoped to the owning ministry.

A project goes ``needs_analysis → design → implementation → evaluation → closed`` (or
``abandoned``); each stage's data is recorded while the project is in that stage.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from ..registry import CampusEvent, registry
from .vocab import (
    AgentId,
    Cents,
    FundingIntent,
    MinistryCode,
    Modality,
    Part,
    ProfileCount,
    ProfileReach,
    ProjectStage,
    Rate,
)


class ProjectEvent(CampusEvent):
    """Base of the project events."""

    context = "projects"
    aggregate = "project"
    public = False

    project_id: UUID


class DesignedModule(Part):
    """One module of a designed training path: an existing course or one to build."""

    title: str = Field(min_length=1)
    course_id: UUID | None = Field(
        default=None, description="A catalogue course, when the module reuses one."
    )
    trainer_ids: list[AgentId] = Field(default_factory=list)
    modality: Modality
    duration_minutes: int = Field(ge=0)


@registry.register
class ProjectOpened(ProjectEvent):
    """A manager asked the Campus to accompany a training project; it starts in ``needs_analysis``."""

    ministry: MinistryCode
    title: str = Field(min_length=1)
    service: str = Field(description="The administrative unit whose team is to be trained.")
    team_size: int = Field(ge=1)
    agent_profiles: list[ProfileCount] = Field(default_factory=list)
    expectations: str
    opened_by: AgentId


@registry.register
class NeedsAnalysisRecorded(ProjectEvent):
    """The needs analysis was recorded: agents' profiles, expectations and the team's culture."""

    findings: str
    agent_profiles: list[ProfileCount] = Field(default_factory=list)
    expectations: str
    team_culture: str


@registry.register
class TrainingPathDesigned(ProjectEvent):
    """The training path was designed: modules, speakers, content production, cost and funding."""

    modules: list[DesignedModule] = Field(min_length=1)
    content_production: str = Field(description="What content has to be produced, and by whom.")
    estimated_cost_cents: Cents
    funding_intent: FundingIntent


@registry.register
class ProjectStageAdvanced(ProjectEvent):
    """The project moved to its next stage."""

    from_stage: ProjectStage
    to_stage: ProjectStage


@registry.register
class ImplementationRecorded(ProjectEvent):
    """What was delivered: sessions, participants, modality."""

    sessions_delivered: int = Field(ge=0)
    participants: int = Field(ge=0)
    modality: Modality
    session_ids: list[UUID] = Field(default_factory=list, description="Catalogue sessions, when any.")


@registry.register
class EvaluationRecorded(ProjectEvent):
    """The follow-up and evaluation, with the FTAP indicators."""

    indicators: list[ProfileReach] = Field(default_factory=list, description="Agents targeted and reached.")
    satisfaction_rate: Rate
    savings_cents: Cents
    summary: str = ""


@registry.register
class ProjectAbandoned(ProjectEvent):
    """The project was given up before it closed."""

    reason: str
    stage: ProjectStage = Field(description="The stage it was in.")

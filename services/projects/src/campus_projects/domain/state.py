"""A project's state: the fold of its stream's events (``decider.evolve``)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from campus_events.contracts.projects import (
    EvaluationRecorded,
    ImplementationRecorded,
    NeedsAnalysisRecorded,
    TrainingPathDesigned,
)
from campus_events.contracts.vocab import ProfileCount, ProjectStage

# The working stages in order; ``closed`` follows ``evaluation``, ``abandoned`` may end any of them.
STAGES: tuple[ProjectStage, ...] = (
    ProjectStage.NEEDS_ANALYSIS,
    ProjectStage.DESIGN,
    ProjectStage.IMPLEMENTATION,
    ProjectStage.EVALUATION,
    ProjectStage.CLOSED,
)
ENDED = frozenset({ProjectStage.CLOSED, ProjectStage.ABANDONED})


class ProjectState(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: UUID | None = None
    ministry: str = ""
    title: str = ""
    service: str = ""
    team_size: int = 0
    agent_profiles: tuple[ProfileCount, ...] = ()
    expectations: str = ""
    opened_by: UUID | None = None
    opened_at: datetime | None = None
    stage: ProjectStage = ProjectStage.NEEDS_ANALYSIS
    stage_entered_at: datetime | None = None
    needs_analysis: NeedsAnalysisRecorded | None = None
    design: TrainingPathDesigned | None = None
    implementation: ImplementationRecorded | None = None
    evaluation: EvaluationRecorded | None = None
    abandoned_reason: str | None = None
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.id is not None

    @property
    def ended(self) -> bool:
        return self.stage in ENDED


def next_stage(stage: ProjectStage) -> ProjectStage | None:
    if stage not in STAGES or stage == ProjectStage.CLOSED:
        return None
    return STAGES[STAGES.index(stage) + 1]

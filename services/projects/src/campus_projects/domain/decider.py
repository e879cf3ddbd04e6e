"""The project decider: ``decide(state, command) -> events`` and ``evolve(state, event) -> state``.

A stage's data is recorded while the project is in that stage and is required to leave it;
stages are taken one at a time.
"""

from __future__ import annotations

from datetime import datetime

from campus_events.contracts.projects import (
    EvaluationRecorded,
    ImplementationRecorded,
    NeedsAnalysisRecorded,
    ProjectAbandoned,
    ProjectEvent,
    ProjectOpened,
    ProjectStageAdvanced,
    TrainingPathDesigned,
)
from campus_events.contracts.vocab import ProjectStage

from .commands import (
    AbandonProject,
    AdvanceStage,
    Command,
    DesignTrainingPath,
    OpenProject,
    RecordEvaluation,
    RecordImplementation,
    RecordNeedsAnalysis,
)
from .errors import (
    NotProjectOwnerError,
    ProjectAlreadyOpenedError,
    ProjectEndedError,
    ProjectNotFoundError,
    StageDataMissingError,
    StageSkippedError,
    UnknownReferenceError,
    WrongStageError,
)
from .state import STAGES, ProjectState, next_stage

# What must be recorded before leaving a stage, and how the detail of a refusal names it.
REQUIRED_STEP = {
    ProjectStage.NEEDS_ANALYSIS: ("needs_analysis", "the needs analysis (POST /needs-analysis)"),
    ProjectStage.DESIGN: ("design", "the training path's design (POST /design)"),
    ProjectStage.IMPLEMENTATION: ("implementation", "the implementation figures (POST /implementation)"),
    ProjectStage.EVALUATION: ("evaluation", "the evaluation with its FTAP indicators (POST /evaluation)"),
}


def decide(state: ProjectState, command: Command) -> list[ProjectEvent]:
    if isinstance(command, OpenProject):
        return _open(state, command)
    if not state.exists:
        raise ProjectNotFoundError(f"no project {command.project_id}")
    if state.ended:
        raise ProjectEndedError(f"the project is {state.stage.value}: nothing more can be recorded")
    match command:
        case RecordNeedsAnalysis():
            _require_owner_or_staff(state, command)
            _require_stage(state, ProjectStage.NEEDS_ANALYSIS, "the needs analysis")
            return [
                NeedsAnalysisRecorded(
                    project_id=command.project_id,
                    findings=command.findings,
                    agent_profiles=list(command.agent_profiles),
                    expectations=command.expectations,
                    team_culture=command.team_culture,
                )
            ]
        case DesignTrainingPath():
            _require_stage(state, ProjectStage.DESIGN, "the training path's design")
            _check_references(command)
            return [
                TrainingPathDesigned(
                    project_id=command.project_id,
                    modules=list(command.modules),
                    content_production=command.content_production,
                    estimated_cost_cents=command.estimated_cost_cents,
                    funding_intent=command.funding_intent,
                )
            ]
        case AdvanceStage():
            return [_advance(state, command)]
        case RecordImplementation():
            _require_stage(state, ProjectStage.IMPLEMENTATION, "the implementation")
            return [
                ImplementationRecorded(
                    project_id=command.project_id,
                    sessions_delivered=command.sessions_delivered,
                    participants=command.participants,
                    modality=command.modality,
                    session_ids=list(command.session_ids),
                )
            ]
        case RecordEvaluation():
            _require_stage(state, ProjectStage.EVALUATION, "the evaluation")
            return [
                EvaluationRecorded(
                    project_id=command.project_id,
                    indicators=list(command.indicators),
                    satisfaction_rate=command.satisfaction_rate,
                    savings_cents=command.savings_cents,
                    summary=command.summary,
                )
            ]
        case AbandonProject():
            _require_owner_or_staff(state, command)
            return [ProjectAbandoned(project_id=command.project_id, reason=command.reason, stage=state.stage)]
    raise TypeError(f"unknown command {type(command).__name__}")


def _open(state: ProjectState, command: OpenProject) -> list[ProjectEvent]:
    if state.exists:
        raise ProjectAlreadyOpenedError(f"project {command.project_id} is already open")
    return [
        ProjectOpened(
            project_id=command.project_id,
            ministry=command.ministry,
            title=command.title,
            service=command.service,
            team_size=command.team_size,
            agent_profiles=list(command.agent_profiles),
            expectations=command.expectations,
            opened_by=command.actor_id,
        )
    ]


def _require_owner_or_staff(state: ProjectState, command: Command) -> None:
    if not command.actor_is_staff and command.actor_id != state.opened_by:
        raise NotProjectOwnerError("only the project's owner or campus staff may do this")


def _require_stage(state: ProjectState, stage: ProjectStage, what: str) -> None:
    if state.stage != stage:
        raise WrongStageError(
            f"{what} is recorded in the {stage.value} stage; the project is in {state.stage.value}"
        )


def _advance(state: ProjectState, command: AdvanceStage) -> ProjectStageAdvanced:
    target, expected = command.to_stage, next_stage(state.stage)
    if target == ProjectStage.ABANDONED:
        raise StageSkippedError("a project is abandoned with POST /abandon, not advanced")
    if target == state.stage:
        raise StageSkippedError(f"the project is already in {target.value}")
    if expected is None or STAGES.index(target) < STAGES.index(state.stage):
        raise StageSkippedError(f"a project cannot go back from {state.stage.value} to {target.value}")
    field, step = REQUIRED_STEP[state.stage]
    if getattr(state, field) is None:
        raise StageDataMissingError(f"{step} must be recorded before leaving {state.stage.value}")
    if target != expected:
        raise StageSkippedError(
            f"stages cannot be skipped: the project is in {state.stage.value}, "
            f"the next step is {expected.value}, not {target.value}"
        )
    return ProjectStageAdvanced(project_id=command.project_id, from_stage=state.stage, to_stage=target)


def _check_references(command: DesignTrainingPath) -> None:
    for index, module in enumerate(command.modules):
        if module.course_id is not None and module.course_id not in command.known_course_ids:
            raise UnknownReferenceError(
                f"modules[{index}].course_id: course {module.course_id} is not in the catalogue "
                "(proposed or published)",
                field=f"modules.{index}.course_id",
            )
        for trainer_id in module.trainer_ids:
            if trainer_id not in command.known_trainer_ids:
                raise UnknownReferenceError(
                    f"modules[{index}].trainer_ids: {trainer_id} is not a registered trainer",
                    field=f"modules.{index}.trainer_ids",
                )


def evolve(state: ProjectState, event: ProjectEvent, at: datetime | None = None) -> ProjectState:
    """The state after ``event`` (``at``: when it occurred, for the stage clock)."""
    version = {"version": state.version + 1}
    match event:
        case ProjectOpened():
            return state.model_copy(
                update={
                    **version,
                    "id": event.project_id,
                    "ministry": event.ministry,
                    "title": event.title,
                    "service": event.service,
                    "team_size": event.team_size,
                    "agent_profiles": tuple(event.agent_profiles),
                    "expectations": event.expectations,
                    "opened_by": event.opened_by,
                    "opened_at": at,
                    "stage": ProjectStage.NEEDS_ANALYSIS,
                    "stage_entered_at": at,
                }
            )
        case NeedsAnalysisRecorded():
            return state.model_copy(update={**version, "needs_analysis": event})
        case TrainingPathDesigned():
            return state.model_copy(update={**version, "design": event})
        case ImplementationRecorded():
            return state.model_copy(update={**version, "implementation": event})
        case EvaluationRecorded():
            return state.model_copy(update={**version, "evaluation": event})
        case ProjectStageAdvanced():
            return state.model_copy(update={**version, "stage": event.to_stage, "stage_entered_at": at})
        case ProjectAbandoned():
            return state.model_copy(
                update={
                    **version,
                    "stage": ProjectStage.ABANDONED,
                    "stage_entered_at": at,
                    "abandoned_reason": event.reason,
                }
            )
    return state.model_copy(update=version)

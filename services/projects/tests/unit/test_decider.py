"""The project decider: given events, when a command, then events (or a refusal)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from campus_events.contracts.projects import (
    DesignedModule,
    EvaluationRecorded,
    ImplementationRecorded,
    NeedsAnalysisRecorded,
    ProjectAbandoned,
    ProjectEvent,
    ProjectOpened,
    ProjectStageAdvanced,
    TrainingPathDesigned,
)
from campus_events.contracts.vocab import FundingIntent, Modality, ProfileReach, ProjectStage
from campus_projects.domain import commands as c
from campus_projects.domain import errors
from campus_projects.domain.decider import decide, evolve
from campus_projects.domain.state import ProjectState

P, OWNER, STAFF, OTHER = uuid4(), uuid4(), uuid4(), uuid4()
COURSE, TRAINER = uuid4(), uuid4()
S = ProjectStage


def given(*events: ProjectEvent) -> ProjectState:
    state = ProjectState()
    for event in events:
        state = evolve(state, event)
    return state


def staff(cls: type[c.Command], **fields: object) -> c.Command:
    return cls(project_id=P, actor_id=STAFF, actor_is_staff=True, **fields)


OPENED = ProjectOpened(
    project_id=P,
    ministry="sgpi",
    title="IA générative",
    service="SGPI",
    team_size=12,
    expectations="Comprendre l'IA",
    opened_by=OWNER,
)
NEEDS = NeedsAnalysisRecorded(
    project_id=P, findings="Niveaux inégaux", expectations="Pratique", team_culture="Ouverte"
)
MODULE = DesignedModule(
    title="Atelier",
    course_id=COURSE,
    trainer_ids=[TRAINER],
    modality=Modality.IN_PERSON,
    duration_minutes=240,
)
DESIGN = TrainingPathDesigned(
    project_id=P,
    modules=[MODULE],
    content_production="Cas d'usage",
    estimated_cost_cents=2_500_000,
    funding_intent=FundingIntent.FTAP,
)
IMPL = ImplementationRecorded(
    project_id=P, sessions_delivered=1, participants=12, modality=Modality.IN_PERSON
)
EVAL = EvaluationRecorded(
    project_id=P,
    indicators=[ProfileReach(profile="chargé d'études", agents_targeted=12, agents_reached=11)],
    satisfaction_rate=0.9,
    savings_cents=0,
)


def advanced(a: ProjectStage, b: ProjectStage) -> ProjectStageAdvanced:
    return ProjectStageAdvanced(project_id=P, from_stage=a, to_stage=b)


IN_DESIGN = (OPENED, NEEDS, advanced(S.NEEDS_ANALYSIS, S.DESIGN))
IN_IMPL = (*IN_DESIGN, DESIGN, advanced(S.DESIGN, S.IMPLEMENTATION))
IN_EVAL = (*IN_IMPL, IMPL, advanced(S.IMPLEMENTATION, S.EVALUATION))
CLOSED = (*IN_EVAL, EVAL, advanced(S.EVALUATION, S.CLOSED))
DESIGN_CMD = dict(
    modules=(MODULE,),
    content_production="Cas d'usage",
    estimated_cost_cents=2_500_000,
    funding_intent=FundingIntent.FTAP,
    known_course_ids=frozenset({COURSE}),
    known_trainer_ids=frozenset({TRAINER}),
)
EVAL_CMD = dict(indicators=tuple(EVAL.indicators), satisfaction_rate=0.9, savings_cents=0)


def test_the_domain_is_pure():
    import campus_projects.domain as domain

    for info in pkgutil.iter_modules(domain.__path__):
        importlib.import_module(f"campus_projects.domain.{info.name}")
    for name, module in list(sys.modules.items()):
        if name.startswith("campus_projects.domain"):
            source = Path(str(module.__file__)).read_text(encoding="utf-8")
            for forbidden in ("asyncpg", "nats", "fastapi", "campus_service", "httpx"):
                assert f"import {forbidden}" not in source and f"from {forbidden}" not in source, name


def test_a_manager_opens_a_project_in_needs_analysis():
    command = c.OpenProject(
        project_id=P,
        actor_id=OWNER,
        ministry="sgpi",
        title="IA générative",
        service="SGPI",
        team_size=12,
        expectations="Comprendre l'IA",
    )
    assert decide(given(), command) == [OPENED]
    assert given(OPENED).stage == S.NEEDS_ANALYSIS
    with pytest.raises(errors.ProjectAlreadyOpenedError):
        decide(given(OPENED), command)


def test_a_command_on_an_unknown_project_is_refused():
    with pytest.raises(errors.ProjectNotFoundError):
        decide(given(), staff(c.AdvanceStage, to_stage=S.DESIGN))


def test_the_owner_or_staff_records_the_needs_analysis():
    fields = dict(findings="Niveaux inégaux", expectations="Pratique", team_culture="Ouverte")
    assert decide(given(OPENED), c.RecordNeedsAnalysis(project_id=P, actor_id=OWNER, **fields)) == [NEEDS]
    assert decide(given(OPENED), staff(c.RecordNeedsAnalysis, **fields)) == [NEEDS]
    with pytest.raises(errors.NotProjectOwnerError):
        decide(given(OPENED), c.RecordNeedsAnalysis(project_id=P, actor_id=OTHER, **fields))
    with pytest.raises(errors.WrongStageError, match="needs_analysis"):
        decide(given(*IN_DESIGN), staff(c.RecordNeedsAnalysis, **fields))


@pytest.mark.parametrize(
    ("events", "to_stage"),
    [
        ((OPENED, NEEDS), S.DESIGN),
        ((*IN_DESIGN, DESIGN), S.IMPLEMENTATION),
        ((*IN_IMPL, IMPL), S.EVALUATION),
        ((*IN_EVAL, EVAL), S.CLOSED),
    ],
)
def test_each_stage_advances_to_the_next_once_its_data_is_recorded(events, to_stage):
    state = given(*events)
    (event,) = decide(state, staff(c.AdvanceStage, to_stage=to_stage))
    assert event == advanced(state.stage, to_stage)
    assert evolve(state, event).stage == to_stage


@pytest.mark.parametrize(
    ("events", "to_stage", "missing"),
    [
        ((OPENED,), S.DESIGN, "needs analysis"),
        (IN_DESIGN, S.IMPLEMENTATION, "design"),
        (IN_IMPL, S.EVALUATION, "implementation figures"),
        (IN_EVAL, S.CLOSED, "evaluation"),
    ],
)
def test_a_stage_cannot_be_left_without_its_data(events, to_stage, missing):
    with pytest.raises(errors.StageDataMissingError, match=missing):
        decide(given(*events), staff(c.AdvanceStage, to_stage=to_stage))


def test_a_stage_cannot_be_skipped_and_the_detail_names_the_next_step():
    with pytest.raises(errors.StageSkippedError, match="next step is design"):
        decide(given(OPENED, NEEDS), staff(c.AdvanceStage, to_stage=S.IMPLEMENTATION))
    with pytest.raises(errors.StageSkippedError, match="next step is implementation"):
        decide(given(*IN_DESIGN, DESIGN), staff(c.AdvanceStage, to_stage=S.CLOSED))


def test_no_going_back_no_staying_and_no_abandon_by_advance():
    for target, match in ((S.NEEDS_ANALYSIS, "go back"), (S.DESIGN, "already"), (S.ABANDONED, "abandon")):
        with pytest.raises(errors.StageSkippedError, match=match):
            decide(given(*IN_DESIGN, DESIGN), staff(c.AdvanceStage, to_stage=target))


def test_campus_staff_designs_the_path_in_design():
    assert decide(given(*IN_DESIGN), staff(c.DesignTrainingPath, **DESIGN_CMD)) == [DESIGN]
    with pytest.raises(errors.WrongStageError, match="design"):
        decide(given(OPENED, NEEDS), staff(c.DesignTrainingPath, **DESIGN_CMD))


def test_a_design_references_only_known_courses_and_trainers():
    unknown_course = {**DESIGN_CMD, "known_course_ids": frozenset()}
    with pytest.raises(errors.UnknownReferenceError, match="course") as refused:
        decide(given(*IN_DESIGN), staff(c.DesignTrainingPath, **unknown_course))
    assert refused.value.field == "modules.0.course_id"
    unknown_trainer = {**DESIGN_CMD, "known_trainer_ids": frozenset()}
    with pytest.raises(errors.UnknownReferenceError, match="registered trainer"):
        decide(given(*IN_DESIGN), staff(c.DesignTrainingPath, **unknown_trainer))
    new_module = DesignedModule(title="Nouveau", modality=Modality.ONLINE, duration_minutes=60)
    assert decide(given(*IN_DESIGN), staff(c.DesignTrainingPath, **{**DESIGN_CMD, "modules": (new_module,)}))


def test_implementation_and_evaluation_are_recorded_in_their_stage():
    impl = dict(sessions_delivered=1, participants=12, modality=Modality.IN_PERSON)
    assert decide(given(*IN_IMPL), staff(c.RecordImplementation, **impl)) == [IMPL]
    with pytest.raises(errors.WrongStageError):
        decide(given(*IN_DESIGN), staff(c.RecordImplementation, **impl))
    assert decide(given(*IN_EVAL), staff(c.RecordEvaluation, **EVAL_CMD)) == [EVAL]
    with pytest.raises(errors.WrongStageError):
        decide(given(*IN_IMPL), staff(c.RecordEvaluation, **EVAL_CMD))


def test_the_evaluation_needs_the_ftap_indicators():
    with pytest.raises(ValueError):
        staff(c.RecordEvaluation, **{**EVAL_CMD, "indicators": ()})


def test_the_owner_or_staff_abandons_a_running_project():
    (event,) = decide(
        given(*IN_DESIGN), c.AbandonProject(project_id=P, actor_id=OWNER, reason="Réorganisation")
    )
    assert event == ProjectAbandoned(project_id=P, reason="Réorganisation", stage=S.DESIGN)
    assert evolve(given(*IN_DESIGN), event).stage == S.ABANDONED
    with pytest.raises(errors.NotProjectOwnerError):
        decide(given(*IN_DESIGN), c.AbandonProject(project_id=P, actor_id=OTHER, reason="x"))


@pytest.mark.parametrize(
    "ended", [CLOSED, (*IN_DESIGN, ProjectAbandoned(project_id=P, reason="x", stage=S.DESIGN))]
)
def test_an_ended_project_refuses_everything(ended):
    for command in (staff(c.AbandonProject, reason="x"), staff(c.AdvanceStage, to_stage=S.CLOSED)):
        with pytest.raises(errors.ProjectEndedError):
            decide(given(*ended), command)


def test_evolve_counts_versions_and_keeps_each_stage_data():
    state = given(*CLOSED)
    assert state.version == len(CLOSED) and state.stage == S.CLOSED
    assert state.design == DESIGN and state.evaluation == EVAL and isinstance(state.id, UUID)

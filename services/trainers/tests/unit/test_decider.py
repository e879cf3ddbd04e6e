"""The deciders: given events, when a command, then events (or a refusal). No I/O."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from datetime import date
from pathlib import Path
from uuid import uuid4

import pytest

from campus_events.contracts.trainers import (
    SupportRequested,
    SupportRequestResolved,
    TrainerProfileUpdated,
    TrainerRegistered,
    TrainerWithdrawn,
    TrainingActivityLogged,
    TrainingIdeaShared,
    TrainingIdeaSupported,
)
from campus_trainers import domain
from campus_trainers.domain import commands as c
from campus_trainers.domain.decider import decide, fold
from campus_trainers.domain.errors import (
    AlreadyRegisteredError,
    AlreadyResolvedError,
    AlreadySupportedError,
    DailyLimitExceededError,
    NotATrainerError,
    TrainerNotFoundError,
    TrainerWithdrawnError,
)
from campus_trainers.domain.state import DayLedger, IdeaState, SupportState, TrainerState

TRAINER = uuid4()
REGISTERED = TrainerRegistered(trainer_id=TRAINER, ministry="dinum", kind="internal", expertise=["data"])


def trainer(*events) -> TrainerState:
    return fold(TrainerState(), list(events))


def test_register_then_again_is_refused_until_withdrawn():
    command = c.RegisterTrainer(trainer_id=TRAINER, ministry="dinum", kind="internal", expertise=("data",))
    assert decide(trainer(), command) == [REGISTERED]
    with pytest.raises(AlreadyRegisteredError):
        decide(trainer(REGISTERED), command)
    withdrawn = trainer(REGISTERED, TrainerWithdrawn(trainer_id=TRAINER))
    assert decide(withdrawn, command) == [REGISTERED]
    assert fold(withdrawn, [REGISTERED]).active


def test_events_never_carry_personal_free_text():
    assert {"bio", "availability"}.isdisjoint(TrainerRegistered.model_fields)
    assert {"bio", "availability"}.isdisjoint(TrainerProfileUpdated.model_fields)


def test_update_emits_the_whole_profile_only_when_it_changes():
    state = trainer(REGISTERED)
    assert decide(state, c.UpdateTrainerProfile(trainer_id=TRAINER)) == []
    (event,) = decide(state, c.UpdateTrainerProfile(trainer_id=TRAINER, expertise=("cybersecurite",)))
    assert event == TrainerProfileUpdated(
        trainer_id=TRAINER, ministry="dinum", kind="internal", expertise=["cybersecurite"]
    )
    with pytest.raises(TrainerNotFoundError):
        decide(trainer(), c.UpdateTrainerProfile(trainer_id=TRAINER))
    with pytest.raises(TrainerWithdrawnError):
        decide(
            trainer(REGISTERED, TrainerWithdrawn(trainer_id=TRAINER)),
            c.UpdateTrainerProfile(trainer_id=TRAINER),
        )


def test_withdraw_once():
    (event,) = decide(trainer(REGISTERED), c.WithdrawTrainer(trainer_id=TRAINER, reason="Mobilité"))
    assert event == TrainerWithdrawn(trainer_id=TRAINER, reason="Mobilité")
    with pytest.raises(TrainerWithdrawnError):
        decide(trainer(REGISTERED, event), c.WithdrawTrainer(trainer_id=TRAINER))


def test_an_idea_is_supported_once_per_agent():
    idea, agent = uuid4(), uuid4()
    shared = TrainingIdeaShared(idea_id=idea, title="IA", description="Matinée IA", shared_by=uuid4())
    state = fold(IdeaState(), [shared])
    (supported,) = decide(state, c.SupportIdea(idea_id=idea, agent_id=agent))
    assert supported == TrainingIdeaSupported(idea_id=idea, agent_id=agent)
    with pytest.raises(AlreadySupportedError):
        decide(fold(state, [supported]), c.SupportIdea(idea_id=idea, agent_id=agent))
    assert decide(fold(state, [supported]), c.SupportIdea(idea_id=idea, agent_id=uuid4()))


def test_support_requests_need_an_active_trainer_and_resolve_once():
    request_id = uuid4()
    ask = c.RequestSupport(
        support_request_id=request_id, trainer_id=TRAINER, title="Aide", description="Scénariser"
    )
    with pytest.raises(NotATrainerError):
        decide((trainer(), SupportState()), ask)
    (requested,) = decide((trainer(REGISTERED), SupportState()), ask)
    assert isinstance(requested, SupportRequested)
    resolve = c.ResolveSupportRequest(support_request_id=request_id, resolution="Atelier tenu")
    (resolved,) = decide(fold(SupportState(), [requested]), resolve)
    assert resolved == SupportRequestResolved(
        support_request_id=request_id, trainer_id=TRAINER, resolution="Atelier tenu"
    )
    with pytest.raises(AlreadyResolvedError):
        decide(fold(SupportState(), [requested, resolved]), resolve)


def log(minutes: int) -> c.LogActivity:
    return c.LogActivity(
        activity_id=uuid4(),
        trainer_id=TRAINER,
        ministry="dinum",
        kind="face_to_face",
        minutes=minutes,
        day=date(2026, 3, 2),
    )


@pytest.mark.parametrize("minutes", [0, -30, 24 * 60 + 1])
def test_an_activity_lasts_more_than_nothing_and_at_most_a_day(minutes):
    with pytest.raises(DailyLimitExceededError):
        decide((trainer(REGISTERED), DayLedger()), log(minutes))


def test_a_day_holds_at_most_24_hours():
    (first,) = decide((trainer(REGISTERED), DayLedger()), log(20 * 60))
    assert isinstance(first, TrainingActivityLogged)
    ledger = fold(DayLedger(), [first])
    with pytest.raises(DailyLimitExceededError):
        decide((trainer(REGISTERED), ledger), log(4 * 60 + 1))
    assert decide((trainer(REGISTERED), ledger), log(4 * 60))
    with pytest.raises(TrainerNotFoundError):
        decide((trainer(), DayLedger()), log(60))


def test_the_domain_imports_no_io():
    allowed = {
        "__future__",
        "collections",
        "dataclasses",
        "datetime",
        "enum",
        "functools",
        "typing",
        "uuid",
        "pydantic",
        "campus_events",
    }
    for module in pkgutil.iter_modules(domain.__path__):
        source = importlib.import_module(f"campus_trainers.domain.{module.name}").__file__
        tree = ast.parse(Path(source).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                assert node.module.split(".")[0] in allowed, (module.name, node.module)
            elif isinstance(node, ast.Import):
                assert all(a.name.split(".")[0] in allowed for a in node.names), module.name
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("campus_events"):
                assert node.module.startswith("campus_events.contracts"), node.module

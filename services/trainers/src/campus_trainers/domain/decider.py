"""``decide(state, command) -> events`` and ``evolve(state, event) -> state`` for the trainers'
aggregates: a trainer's profile, an idea, a support request and a trainer's day of activities."""

from __future__ import annotations

from functools import reduce
from typing import Any, TypeVar

from campus_events.contracts.trainers import (
    SupportRequested,
    SupportRequestResolved,
    TrainerProfileUpdated,
    TrainerRegistered,
    TrainersEvent,
    TrainerWithdrawn,
    TrainingActivityLogged,
    TrainingIdeaShared,
    TrainingIdeaSupported,
)

from . import commands as c
from .errors import (
    AlreadyRegisteredError,
    AlreadyResolvedError,
    AlreadySupportedError,
    DailyLimitExceededError,
    IdeaAlreadySharedError,
    IdeaNotFoundError,
    NotATrainerError,
    SupportRequestExistsError,
    SupportRequestNotFoundError,
    TrainerNotFoundError,
    TrainerWithdrawnError,
)
from .state import DayLedger, IdeaState, State, SupportState, TrainerState

S = TypeVar("S", bound=State)


def decide(state: Any, command: c.Command) -> list[TrainersEvent]:
    match command:
        case c.RegisterTrainer():
            return _register(state, command)
        case c.UpdateTrainerProfile():
            return _update(state, command)
        case c.WithdrawTrainer():
            if not state.registered:
                raise TrainerNotFoundError("no such trainer")
            if state.withdrawn:
                raise TrainerWithdrawnError("this trainer has already withdrawn")
            return [TrainerWithdrawn(trainer_id=command.trainer_id, reason=command.reason)]
        case c.ShareIdea():
            if state.exists:
                raise IdeaAlreadySharedError("this idea already exists")
            return [TrainingIdeaShared(**command.model_dump())]
        case c.SupportIdea():
            if not state.exists:
                raise IdeaNotFoundError("no such idea")
            if command.agent_id in state.supporters:
                raise AlreadySupportedError("you already support this idea")
            return [TrainingIdeaSupported(idea_id=command.idea_id, agent_id=command.agent_id)]
        case c.RequestSupport():
            return _request_support(state, command)
        case c.ResolveSupportRequest():
            if not state.exists:
                raise SupportRequestNotFoundError("no such support request")
            if state.resolution is not None:
                raise AlreadyResolvedError("this support request is already resolved")
            return [
                SupportRequestResolved(
                    support_request_id=command.support_request_id,
                    trainer_id=state.trainer_id,
                    resolution=command.resolution,
                )
            ]
        case c.LogActivity():
            return _log_activity(state, command)
    raise TypeError(f"unknown command {command!r}")


def _register(state: TrainerState, command: c.RegisterTrainer) -> list[TrainersEvent]:
    if state.active:
        raise AlreadyRegisteredError("you are already registered as a trainer")
    # A withdrawn trainer may come back: registering again reopens the profile.
    return [TrainerRegistered(**command.model_dump())]


def _update(state: TrainerState, command: c.UpdateTrainerProfile) -> list[TrainersEvent]:
    if not state.registered:
        raise TrainerNotFoundError("no such trainer")
    if state.withdrawn:
        raise TrainerWithdrawnError("a withdrawn trainer's profile cannot change: register again")
    kind = command.kind if command.kind is not None else state.kind
    expertise = command.expertise if command.expertise is not None else state.expertise
    if kind == state.kind and expertise == state.expertise:
        return []  # only personal details changed (kept out of events) or nothing did
    return [
        TrainerProfileUpdated(
            trainer_id=command.trainer_id, ministry=state.ministry, kind=kind, expertise=list(expertise)
        )
    ]


def _request_support(
    state: tuple[TrainerState, SupportState], command: c.RequestSupport
) -> list[TrainersEvent]:
    trainer, request = state
    if not trainer.active:
        raise NotATrainerError("only a registered trainer may ask for support")
    if request.exists:
        raise SupportRequestExistsError("this support request already exists")
    return [SupportRequested(**command.model_dump())]


def _log_activity(state: tuple[TrainerState, DayLedger], command: c.LogActivity) -> list[TrainersEvent]:
    trainer, ledger = state
    if not trainer.registered:
        raise TrainerNotFoundError("no such trainer")
    if command.minutes <= 0 or command.minutes > c.MINUTES_PER_DAY:
        raise DailyLimitExceededError("an activity lasts more than 0 and at most 24 hours")
    if ledger.minutes + command.minutes > c.MINUTES_PER_DAY:
        left = c.MINUTES_PER_DAY - ledger.minutes
        raise DailyLimitExceededError(
            f"more than 24 hours on {command.day.isoformat()}: {left} minutes are left on that day"
        )
    return [TrainingActivityLogged(**command.model_dump())]


def evolve(state: Any, event: TrainersEvent) -> Any:
    match event:
        case TrainerRegistered() | TrainerProfileUpdated():
            return state.model_copy(
                update={
                    "trainer_id": event.trainer_id,
                    "ministry": event.ministry,
                    "kind": event.kind,
                    "expertise": tuple(event.expertise),
                    "registered": True,
                    "withdrawn": False if isinstance(event, TrainerRegistered) else state.withdrawn,
                }
            )
        case TrainerWithdrawn():
            return state.model_copy(update={"withdrawn": True})
        case TrainingIdeaShared():
            return state.model_copy(update={**event.model_dump(), "themes": tuple(event.themes)})
        case TrainingIdeaSupported():
            return state.model_copy(update={"supporters": state.supporters | {event.agent_id}})
        case SupportRequested():
            return state.model_copy(update={**event.model_dump(), "themes": tuple(event.themes)})
        case SupportRequestResolved():
            return state.model_copy(update={"resolution": event.resolution})
        case TrainingActivityLogged():
            return state.model_copy(
                update={
                    "minutes": state.minutes + event.minutes,
                    "activity_ids": state.activity_ids | {event.activity_id},
                }
            )
    return state


def fold(initial: S, events: list[TrainersEvent]) -> S:
    """The state after ``events`` (given in stream order)."""
    return reduce(evolve, events, initial)


__all__ = ["DayLedger", "IdeaState", "SupportState", "TrainerState", "decide", "evolve", "fold"]

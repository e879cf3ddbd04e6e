"""What callers ask of the trainers domain (imperative names); validated shapes, no I/O."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from campus_events.contracts.vocab import ActivityKind, Theme, TrainerKind

MINUTES_PER_DAY = 24 * 60


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)


class RegisterTrainer(Command):
    trainer_id: UUID
    ministry: str
    kind: TrainerKind
    expertise: tuple[Theme, ...] = ()


class UpdateTrainerProfile(Command):
    """``None`` leaves a field as it is."""

    trainer_id: UUID
    kind: TrainerKind | None = None
    expertise: tuple[Theme, ...] | None = None


class WithdrawTrainer(Command):
    trainer_id: UUID
    reason: str | None = None


class ShareIdea(Command):
    idea_id: UUID
    title: str
    description: str
    themes: tuple[Theme, ...] = ()
    shared_by: UUID


class SupportIdea(Command):
    idea_id: UUID
    agent_id: UUID


class RequestSupport(Command):
    support_request_id: UUID
    trainer_id: UUID
    title: str
    description: str
    course_id: UUID | None = None
    themes: tuple[Theme, ...] = ()


class ResolveSupportRequest(Command):
    support_request_id: UUID
    resolution: str


class LogActivity(Command):
    activity_id: UUID
    trainer_id: UUID
    ministry: str
    kind: ActivityKind
    minutes: int
    day: date
    course_id: UUID | None = None
    session_id: UUID | None = None

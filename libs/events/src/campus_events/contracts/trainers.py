"""Trainers' community events (stream ``CAMPUS_TRAINERS``).

Trainers, ideas and support requests are public; logged activities (the basis of a
trainer's pay) are scoped to the trainer's ministry. A trainer's id is their agent id.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from ..registry import CampusEvent, registry
from .vocab import ActivityKind, AgentId, MinistryCode, Theme, TrainerKind


class TrainersEvent(CampusEvent):
    context = "trainers"


class TrainerEvent(TrainersEvent):
    """Base of a trainer's profile events."""

    aggregate = "trainer"
    public = True

    trainer_id: AgentId


class IdeaEvent(TrainersEvent):
    aggregate = "idea"
    public = True

    idea_id: UUID


class SupportEvent(TrainersEvent):
    aggregate = "support"
    public = True

    support_request_id: UUID
    trainer_id: AgentId


class ActivityEvent(TrainersEvent):
    aggregate = "activity"
    public = False

    activity_id: UUID
    trainer_id: AgentId
    ministry: MinistryCode


class TrainerProfile(TrainerEvent):
    """A trainer's whole pseudonymous profile.

    The free text a person writes about themself (bio, availability) is personal data: it stays
    in the trainers service's erasable table and never enters an event.
    """

    ministry: MinistryCode
    kind: TrainerKind
    expertise: list[Theme] = Field(default_factory=list)


@registry.register
class TrainerRegistered(TrainerProfile):
    """An agent registered as a trainer: they may now propose courses and train sessions."""


@registry.register
class TrainerProfileUpdated(TrainerProfile):
    """A trainer's profile changed; the event carries the whole profile."""


@registry.register
class TrainerWithdrawn(TrainerEvent):
    """A trainer left the community: they may no longer propose courses nor train sessions."""

    reason: str | None = None


@registry.register
class TrainingIdeaShared(IdeaEvent):
    """An agent shared an idea for a new training or programme."""

    title: str = Field(min_length=1)
    description: str
    themes: list[Theme] = Field(default_factory=list)
    shared_by: AgentId


@registry.register
class TrainingIdeaSupported(IdeaEvent):
    """An agent supported an idea (once per agent)."""

    agent_id: AgentId


@registry.register
class SupportRequested(SupportEvent):
    """A registered trainer asked the Campus for help to build a training."""

    title: str = Field(min_length=1)
    description: str
    course_id: UUID | None = Field(default=None, description="The course concerned, if it exists.")
    themes: list[Theme] = Field(default_factory=list)


@registry.register
class SupportRequestResolved(SupportEvent):
    """The Campus staff closed a support request."""

    resolution: str


@registry.register
class TrainingActivityLogged(ActivityEvent):
    """A trainer logged time spent on a paid activity (décret n° 2010-235, activité accessoire)."""

    kind: ActivityKind
    minutes: int = Field(ge=1)
    day: date
    course_id: UUID | None = None
    session_id: UUID | None = None

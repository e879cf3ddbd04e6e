"""The aggregates' states: frozen folds of their streams (see ``decider.evolve``)."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict

from campus_events.contracts.vocab import Theme, TrainerKind


class State(BaseModel):
    model_config = ConfigDict(frozen=True)


class TrainerState(State):
    """A trainer's profile; ``registered`` stays true after a withdrawal (``withdrawn`` says it)."""

    trainer_id: UUID | None = None
    ministry: str | None = None
    kind: TrainerKind | None = None
    expertise: tuple[Theme, ...] = ()
    registered: bool = False
    withdrawn: bool = False

    @property
    def active(self) -> bool:
        return self.registered and not self.withdrawn


class IdeaState(State):
    idea_id: UUID | None = None
    title: str = ""
    description: str = ""
    themes: tuple[Theme, ...] = ()
    shared_by: UUID | None = None
    supporters: frozenset[UUID] = frozenset()

    @property
    def exists(self) -> bool:
        return self.idea_id is not None


class SupportState(State):
    support_request_id: UUID | None = None
    trainer_id: UUID | None = None
    title: str = ""
    description: str = ""
    course_id: UUID | None = None
    themes: tuple[Theme, ...] = ()
    resolution: str | None = None

    @property
    def exists(self) -> bool:
        return self.support_request_id is not None


class DayLedger(State):
    """One trainer's activities on one day: the stream that enforces the 24-hour limit."""

    minutes: int = 0
    activity_ids: frozenset[UUID] = frozenset()

"""Request (``…In``) and response (``…Out``) models of the trainers API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, model_validator

from campus_events.contracts.vocab import ActivityKind, Theme, TrainerKind

from ..domain.commands import MINUTES_PER_DAY

Text = Annotated[str, Field(max_length=4000)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Themes = Annotated[list[Theme], Field(max_length=9)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrainerIn(In):
    kind: TrainerKind
    expertise: Themes = Field(min_length=1)
    bio: Text = ""
    availability: Annotated[str, Field(max_length=1000)] = ""


class TrainerPatchIn(In):
    kind: TrainerKind | None = None
    expertise: Annotated[list[Theme], Field(min_length=1, max_length=9)] | None = None
    bio: Text | None = None
    availability: Annotated[str, Field(max_length=1000)] | None = None


class WithdrawIn(In):
    reason: Annotated[str, Field(max_length=500)] | None = None


class TrainerOut(BaseModel):
    id: UUID
    ministry: str
    kind: TrainerKind
    expertise: list[Theme]
    status: str = Field(description="`active` or `withdrawn`")
    bio: str = ""
    availability: str = ""
    courses_proposed: list[UUID] = Field(default_factory=list)
    courses_published: list[UUID] = Field(default_factory=list)
    sessions_delivered: list[UUID] = Field(default_factory=list)


class IdeaIn(In):
    title: Title
    description: Text = Field(min_length=1)
    themes: Themes = Field(default_factory=list)


class IdeaOut(BaseModel):
    id: UUID
    title: str
    description: str
    themes: list[Theme]
    shared_by: UUID
    support_count: int


class SupportRequestIn(In):
    title: Title
    description: Text = Field(min_length=1)
    course_id: UUID | None = None
    themes: Themes = Field(default_factory=list)


class ResolveIn(In):
    resolution: Text = Field(min_length=1)


class SupportRequestOut(BaseModel):
    id: UUID
    trainer_id: UUID
    title: str
    description: str
    course_id: UUID | None
    themes: list[Theme]
    status: str = Field(description="`open` or `resolved`")
    resolution: str | None = None


class ActivityIn(In):
    """Time spent, as ``minutes`` or as ``hours`` (decimal), more than 0 and at most 24 hours."""

    kind: ActivityKind
    day: date
    # StrictInt, StrictFloat (as in funding): "60", 60.0 or true (taken for 1) is refused rather than
    # coerced; hours take any JSON number, not "1.5" nor true.
    minutes: StrictInt | None = Field(default=None, gt=0, le=MINUTES_PER_DAY)
    hours: StrictFloat | None = Field(default=None, gt=0, le=24)
    course_id: UUID | None = None
    session_id: UUID | None = None

    @model_validator(mode="after")
    def _one_duration(self) -> Self:
        if (self.minutes is None) == (self.hours is None):
            raise ValueError("give exactly one of minutes and hours")
        if self.hours is not None and round(self.hours * 60) < 1:
            raise ValueError("hours must amount to at least one minute")
        return self

    @property
    def total_minutes(self) -> int:
        return self.minutes if self.minutes is not None else round((self.hours or 0) * 60)


class ActivityOut(BaseModel):
    id: UUID
    trainer_id: UUID
    ministry: str
    kind: ActivityKind
    minutes: int
    day: date
    course_id: UUID | None = None
    session_id: UUID | None = None
    day_total_minutes: int | None = Field(default=None, description="On a write: that day's total.")


class Totals(BaseModel):
    pedagogical_engineering: int = 0
    face_to_face: int = 0
    evaluation: int = 0
    total: int = 0


class TrainerActivitiesOut(BaseModel):
    trainer_id: UUID
    year: int
    totals_minutes: Totals
    items: list[ActivityOut]
    next_cursor: str | None = None


class MinistryTotalsOut(BaseModel):
    ministry: str
    totals_minutes: Totals
    trainers: dict[str, Totals]


class YearTotalsOut(BaseModel):
    year: int
    ministries: list[MinistryTotalsOut]


class ErasureOut(BaseModel):
    agent_id: UUID
    erased: bool
    erased_at: datetime

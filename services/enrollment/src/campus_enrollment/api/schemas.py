"""Request (``…In``) and response (``…Out``) models of the enrollment API."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from campus_events.contracts.vocab import EnrollmentStatus

T = TypeVar("T")


class EnrollmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    course_id: UUID
    session_id: UUID | None = None
    agent_id: UUID | None = Field(default=None, description="A manager enrolling an agent of their ministry.")


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # StrictInt (as in funding): "4", 4.0 or true (taken for 1) is refused rather than coerced.
    score: StrictInt = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class EnrollmentOut(BaseModel):
    id: UUID
    agent_id: UUID
    ministry: str
    course_id: UUID
    session_id: UUID | None = None
    status: EnrollmentStatus
    waitlist_position: int | None = Field(default=None, description="1 = next in line.")
    enrolled_by: UUID | None = None
    attestation_id: UUID | None = None
    completed_at: datetime | None = None
    score: int | None = None
    comment: str | None = None


class SeatsOut(BaseModel):
    session_id: UUID
    capacity: int
    enrolled: int
    waitlisted: int
    cancelled: bool = False


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class ErasedOut(BaseModel):
    agent_id: UUID
    erased: bool


class Figures(BaseModel):
    enrollments: int = 0
    completions: int = 0
    agents_trained: int = 0
    ratings: int = 0
    average_score: float | None = None


class CourseFigures(Figures):
    course_id: UUID
    title: str | None = None


class ThemeFigures(Figures):
    theme: str


class MinistryFigures(Figures):
    ministry: str


class StatsOut(Figures):
    ministry: str | None = Field(default=None, description="The ministry the figures are limited to, if any.")
    by_course: list[CourseFigures] = []
    by_theme: list[ThemeFigures] = []
    by_ministry: list[MinistryFigures] = []

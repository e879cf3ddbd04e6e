"""Commands of the catalog: imperative names, validated shapes (the API's inputs build them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from campus_events.contracts.vocab import CourseKind, Modality, Pace, Theme

from .themes import ALL_SUB_THEMES

Title = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=4000)]
Short = Annotated[str, Field(min_length=1, max_length=500)]
Slug = Annotated[str, Field(min_length=1, max_length=80)]
Url = Annotated[str, Field(min_length=8, max_length=2000, pattern=r"^https?://\S+$")]


def _known_sub_themes(values: list[str]) -> list[str]:
    unknown = sorted(set(values) - ALL_SUB_THEMES)
    if unknown:
        raise ValueError(f"unknown sub-themes: {', '.join(unknown)} (see GET /v1/themes)")
    return values


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


SubThemes = Annotated[list[Slug], Field(max_length=20), AfterValidator(_known_sub_themes)]


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CourseFields(Command):
    """A course's whole description, as its author gives it."""

    title: Title
    kind: CourseKind
    summary: Annotated[str, Field(min_length=1, max_length=4000)]
    modality: Modality
    themes: Annotated[list[Theme], Field(min_length=1, max_length=9), AfterValidator(_unique)]
    objectives: Annotated[list[Short], Field(max_length=30)] = []
    duration: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    duration_minutes: Annotated[int, Field(ge=1, le=100_000)] | None = None
    pace: Pace = Pace.SELF_PACED
    sub_themes: SubThemes = []
    audiences: Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=20)] = []
    organizers: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=20)
    ] = []
    registration_url: Url | None = None
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] = "fr"


class ProposeCourse(Command):
    course_id: UUID
    proposed_by: UUID
    description: CourseFields


class ReviseCourse(Command):
    course_id: UUID
    revised_by: UUID
    by_staff: bool
    changes: dict[str, Any]


class PublishCourse(Command):
    course_id: UUID


class RejectCourse(Command):
    course_id: UUID
    reason: Short


class ArchiveCourse(Command):
    course_id: UUID
    reason: Short | None = None


def ends_after_start(cls: type, value: datetime, info: ValidationInfo) -> datetime:
    """``ends_at``'s rule, as a field validator (the field is named in the error)."""
    starts_at = info.data.get("starts_at")
    if starts_at is not None and value <= starts_at:
        raise ValueError("ends_at must be after starts_at")
    return value


class SessionPlace(Command):
    """Dates, place or link, trainers: what a reschedule carries whole."""

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    location: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    join_url: Url | None = None
    trainer_ids: Annotated[list[UUID], Field(max_length=20), AfterValidator(_unique)] = []

    _after_start = field_validator("ends_at")(ends_after_start)

    @model_validator(mode="after")
    def _somewhere(self) -> SessionPlace:
        if self.location is None and self.join_url is None:
            raise ValueError("a session needs a location or a join_url")
        return self


class ScheduleSession(Command):
    session_id: UUID
    course_id: UUID
    place: SessionPlace
    capacity: Annotated[int, Field(ge=1, le=100_000)]


class ChangeSession(Command):
    session_id: UUID
    place: SessionPlace | None = None
    capacity: Annotated[int, Field(ge=1, le=100_000)] | None = None


class CancelSession(Command):
    session_id: UUID
    reason: Short | None = None


class DefinePath(Command):
    path_id: UUID
    title: Title
    summary: Annotated[str, Field(max_length=4000)] = ""
    course_ids: Annotated[list[UUID], Field(min_length=1, max_length=50)]
    target_job: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    reconversion: bool = False
    themes: Annotated[list[Theme], Field(max_length=9), AfterValidator(_unique)] = []

    @model_validator(mode="after")
    def _distinct_courses(self) -> DefinePath:
        if len(set(self.course_ids)) != len(self.course_ids):
            raise ValueError("course_ids must not repeat a course")
        return self


class PublishPath(Command):
    path_id: UUID


__all__ = [
    "ArchiveCourse",
    "CancelSession",
    "ChangeSession",
    "CourseFields",
    "DefinePath",
    "ProposeCourse",
    "PublishCourse",
    "PublishPath",
    "RejectCourse",
    "ReviseCourse",
    "ScheduleSession",
    "SessionPlace",
]

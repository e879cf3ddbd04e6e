"""Request models (``…In``): strict (``extra="forbid"``), bounded strings; constraints shared with the domain."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

from campus_events.contracts.vocab import CourseKind, Modality, Pace, Theme, UtcDateTime

from ..domain.commands import (
    CourseFields,
    DefinePath,
    SessionPlace,
    Short,
    SubThemes,
    Title,
    Url,
    ends_after_start,
)

# Integers and booleans of a body as JSON gives them (StrictInt, StrictBool, as in funding): "60",
# true or 60.0 is refused rather than taken for 60 or 1, and "yes" or 1 for true. Per field, not the
# model's strict=True: FastAPI's path validates Python objects, where that refuses UUIDs and dates.
Minutes = Annotated[StrictInt, Field(ge=1, le=100_000)]
Capacity = Annotated[StrictInt, Field(ge=1, le=100_000)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CourseIn(CourseFields):
    """A course as proposed (every field of CONTRACT.md; ``status``/``proposed_by`` are set by the service)."""

    # Strict in the request only: the domain's CourseFields (and CourseOut, a response) keep int.
    duration_minutes: Minutes | None = None


REQUIRED = ("title", "kind", "summary", "modality", "themes")


class CoursePatchIn(In):
    """Fields to change; the others stay as they are. Required fields cannot be removed."""

    title: Title | None = None
    kind: CourseKind | None = None
    summary: Annotated[str, Field(min_length=1, max_length=4000)] | None = None
    modality: Modality | None = None
    themes: Annotated[list[Theme], Field(min_length=1, max_length=9)] | None = None
    objectives: Annotated[list[Short], Field(max_length=30)] | None = None
    duration: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    duration_minutes: Minutes | None = None
    pace: Pace | None = None
    sub_themes: SubThemes | None = None
    audiences: (
        Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=20)] | None
    ) = None
    organizers: (
        Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=20)] | None
    ) = None
    registration_url: Url | None = None
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] | None = None

    @model_validator(mode="after")
    def _keep_required(self) -> CoursePatchIn:
        removed = [f for f in REQUIRED if f in self.model_fields_set and getattr(self, f) is None]
        if removed:
            raise ValueError(f"required fields cannot be removed: {', '.join(removed)}")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


class ReasonIn(In):
    reason: Short


class OptionalReasonIn(In):
    reason: Short | None = None


class SessionIn(In):
    starts_at: UtcDateTime
    ends_at: UtcDateTime
    capacity: Capacity
    location: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    join_url: Url | None = None
    trainer_ids: Annotated[list[UUID], Field(max_length=20)] = []

    _after_start = field_validator("ends_at")(ends_after_start)

    @model_validator(mode="after")
    def _somewhere(self) -> SessionIn:
        if self.location is None and self.join_url is None:
            raise ValueError("a session needs a location or a join_url")
        return self

    def place(self) -> SessionPlace:
        return SessionPlace.model_validate(self.model_dump(exclude={"capacity"}))


class SessionPatchIn(In):
    starts_at: UtcDateTime | None = None
    ends_at: UtcDateTime | None = None
    capacity: Capacity | None = None
    location: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    join_url: Url | None = None
    trainer_ids: Annotated[list[UUID], Field(max_length=20)] | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> SessionPatchIn:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class LearningPathIn(In):
    title: Title
    summary: Annotated[str, Field(max_length=4000)] = ""
    course_ids: Annotated[list[UUID], Field(min_length=1, max_length=50)]
    target_job: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    reconversion: StrictBool = False
    themes: Annotated[list[Theme], Field(max_length=9)] = []

    @model_validator(mode="after")
    def _distinct(self) -> LearningPathIn:
        if len(set(self.course_ids)) != len(self.course_ids):
            raise ValueError("course_ids must not repeat a course")
        return self

    def command(self, path_id: UUID) -> DefinePath:
        return DefinePath(path_id=path_id, **self.model_dump())

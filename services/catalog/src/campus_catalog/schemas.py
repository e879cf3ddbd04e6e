"""Response models (``…Out``), shared by the handlers (a write answers with the new state) and the reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from .domain.commands import CourseFields
from .domain.decider import CourseState, PathState, SessionState


class SessionOut(BaseModel):
    id: UUID
    course_id: UUID
    status: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    location: str | None = None
    join_url: str | None = None
    trainer_ids: list[UUID] = []

    @classmethod
    def of(cls, session_id: UUID, state: SessionState) -> SessionOut:
        assert state.place is not None and state.course_id is not None and state.status is not None
        return cls(
            id=session_id,
            course_id=state.course_id,
            status=state.status,
            capacity=state.capacity,
            **state.place.model_dump(),
        )


class CourseOut(CourseFields):
    """A course: its description plus what the service sets (``status``, ``proposed_by``)."""

    model_config = {"frozen": True, "extra": "ignore"}

    id: UUID
    status: str
    proposed_by: UUID | None = None
    version: int
    sessions: list[SessionOut] = []

    @classmethod
    def of(cls, course_id: UUID, state: CourseState) -> CourseOut:
        assert state.description is not None and state.status is not None
        return cls.model_construct(
            id=course_id,
            status=state.status,
            proposed_by=state.proposed_by,
            version=state.version,
            sessions=[],
            **dict(state.description),
        )


class PathOut(BaseModel):
    id: UUID
    status: str
    title: str
    summary: str = ""
    course_ids: list[UUID]
    target_job: str | None = None
    reconversion: bool = False
    themes: list[str] = []

    @classmethod
    def of(cls, path_id: UUID, state: PathState) -> PathOut:
        assert state.definition is not None and state.status is not None
        data = state.definition.model_dump(exclude={"path_id"})
        return cls(id=path_id, status=state.status, **data)


class Page(BaseModel):
    items: list[Any]
    next_cursor: str | None = None


class CoursePage(BaseModel):
    items: list[CourseOut]
    next_cursor: str | None = None
    total: int
    facets: dict[str, dict[str, int]]


class SubThemeOut(BaseModel):
    slug: str
    label: str
    course_count: int


class ThemeOut(BaseModel):
    slug: str
    label: str
    course_count: int
    sub_themes: list[SubThemeOut]

"""Catalog events (stream ``CAMPUS_CATALOG``, all public): courses, sessions, learning paths."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from ..registry import CampusEvent, registry
from .vocab import AgentId, CourseKind, Modality, Pace, Theme, UtcDateTime


class CatalogEvent(CampusEvent):
    """Base of the catalog's events; everything in the catalogue is public."""

    context = "catalog"
    public = True


class CourseEvent(CatalogEvent):
    aggregate = "course"

    course_id: UUID


class SessionEvent(CatalogEvent):
    aggregate = "session"

    session_id: UUID
    course_id: UUID


class PathEvent(CatalogEvent):
    aggregate = "path"

    path_id: UUID


class CourseDescription(CourseEvent):
    """Every field of a course as its author describes it (the whole description, not a patch)."""

    title: str = Field(min_length=1)
    kind: CourseKind
    summary: str
    modality: Modality
    themes: list[Theme] = Field(min_length=1)
    objectives: list[str] = Field(default_factory=list, description="What the learner will know at the end.")
    duration: str | None = Field(default=None, description="Free text, as shown (e.g. « 3 demi-journées »).")
    duration_minutes: int | None = Field(default=None, ge=0)
    pace: Pace = Pace.SELF_PACED
    sub_themes: list[str] = Field(default_factory=list)
    audiences: list[str] = Field(default_factory=list)
    organizers: list[str] = Field(default_factory=list, description="Organising entities (DINUM, ANSSI…).")
    registration_url: str | None = Field(
        default=None, description="For trainings hosted elsewhere (FUN, Mentor…): where to register."
    )
    language: str = "fr"


@registry.register
class CourseProposed(CourseDescription):
    """A registered trainer or the Campus staff proposed a course; its status is ``proposed``."""

    proposed_by: AgentId


@registry.register
class CourseRevised(CourseDescription):
    """A course's description changed; the event carries the whole revised description."""

    revised_by: AgentId
    changed_fields: list[str] = Field(
        default_factory=list, description="Names of the fields that differ from the previous description."
    )


@registry.register
class CoursePublished(CourseEvent):
    """The Campus staff published a proposed course: it appears in the catalogue and opens to enrolment."""


@registry.register
class CourseRejected(CourseEvent):
    """The Campus staff turned down a proposed course."""

    reason: str


@registry.register
class CourseArchived(CourseEvent):
    """A course left the catalogue: no new enrolments; open enrolments are closed by enrollment."""

    reason: str | None = None


@registry.register
class SessionScheduled(SessionEvent):
    """A dated session of a course was scheduled, with its seats and trainers."""

    starts_at: UtcDateTime
    ends_at: UtcDateTime
    capacity: int = Field(ge=1)
    location: str | None = Field(default=None, description="Where it takes place (in person or hybrid).")
    join_url: str | None = Field(default=None, description="How to join it online.")
    trainer_ids: list[AgentId] = Field(default_factory=list, description="Registered trainers' agent ids.")


@registry.register
class SessionRescheduled(SessionEvent):
    """A session's dates, place, link or trainers changed; the event carries them all."""

    starts_at: UtcDateTime
    ends_at: UtcDateTime
    location: str | None = None
    join_url: str | None = None
    trainer_ids: list[AgentId] = Field(default_factory=list)


@registry.register
class SessionCapacityChanged(SessionEvent):
    """A session's number of seats changed (waitlisted agents may be promoted by enrollment)."""

    capacity: int = Field(ge=1)
    previous_capacity: int | None = Field(default=None, ge=1)


@registry.register
class SessionCancelled(SessionEvent):
    """A session was cancelled; its enrolments are cancelled by enrollment."""

    reason: str | None = None


@registry.register
class LearningPathDefined(PathEvent):
    """The Campus staff defined (or redefined) a learning path: an ordered list of courses."""

    title: str = Field(min_length=1)
    summary: str = ""
    course_ids: list[UUID] = Field(min_length=1, description="In the order they should be followed.")
    target_job: str | None = Field(default=None, description="The job the path leads to, if any.")
    reconversion: bool = Field(default=False, description="A reconversion path toward a job in demand.")
    themes: list[Theme] = Field(default_factory=list)


@registry.register
class LearningPathPublished(PathEvent):
    """A learning path appeared in the catalogue."""

"""Enrollment events (stream ``CAMPUS_ENROLLMENT``), scoped to the agent's ministry."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from ..registry import CampusEvent, registry
from .vocab import AgentId, CancellationReason, EnrollmentStatus, MinistryCode, UtcDateTime


class EnrollmentEvent(CampusEvent):
    """Base of the enrolment events: who, from which ministry, in which course."""

    context = "enrollment"
    aggregate = "enrollment"
    public = False


class CourseEnrollmentEvent(EnrollmentEvent):
    enrollment_id: UUID
    agent_id: AgentId
    ministry: MinistryCode
    course_id: UUID
    session_id: UUID | None = Field(default=None, description="None for a self-paced course.")


@registry.register
class AgentEnrolled(CourseEnrollmentEvent):
    """An agent took a seat in a session, or started a self-paced course."""

    enrolled_by: AgentId = Field(description="The agent themself, or their manager.")


@registry.register
class AgentWaitlisted(CourseEnrollmentEvent):
    """A session was full: the agent waits in line for a seat."""

    enrolled_by: AgentId
    waitlist_position: int = Field(ge=1, description="1 = next in line.")


@registry.register
class WaitlistPromoted(CourseEnrollmentEvent):
    """A seat freed up and the next waitlisted agent took it; they are now enrolled."""

    freed_by_enrollment_id: UUID | None = Field(
        default=None, description="The enrolment whose cancellation freed the seat, if any."
    )


@registry.register
class EnrollmentCancelled(CourseEnrollmentEvent):
    """An enrolment (or a place in a waitlist) ended before completion."""

    reason: CancellationReason
    previous_status: EnrollmentStatus = Field(
        description="`enrolled` frees a seat; `waitlisted` only leaves the line."
    )


@registry.register
class CourseCompleted(CourseEnrollmentEvent):
    """The agent completed the course; an attestation was issued."""

    attestation_id: UUID
    completed_at: UtcDateTime
    completed_by: AgentId = Field(description="The Campus staff member or the session's trainer.")


@registry.register
class CourseRated(CourseEnrollmentEvent):
    """After completing it, the agent rated the course."""

    score: int = Field(ge=1, le=5)
    comment: str | None = None


@registry.register
class LearningPathCompleted(EnrollmentEvent):
    """The agent completed every course of a learning path."""

    path_id: UUID
    agent_id: AgentId
    ministry: MinistryCode
    course_ids: list[UUID] = Field(default_factory=list, description="The path's courses, in order.")
    enrollment_ids: list[UUID] = Field(default_factory=list, description="The completed enrolments.")
    completed_at: UtcDateTime

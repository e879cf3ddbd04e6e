"""Commands on an enrolment stream: a session's roster, or one agent's self-paced course."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from campus_events.contracts.vocab import CancellationReason


class Command(BaseModel):
    model_config = ConfigDict(frozen=True)


class Enroll(Command):
    """Take a seat (or a place in line). ``capacity`` is None for a self-paced course: no seats."""

    enrollment_id: UUID
    agent_id: UUID
    ministry: str
    course_id: UUID
    session_id: UUID | None = None
    enrolled_by: UUID
    capacity: int | None = None


class CancelEnrollment(Command):
    enrollment_id: UUID
    reason: CancellationReason
    capacity: int | None = None


class FillFreeSeats(Command):
    """Promote waiting agents into the seats the current capacity leaves free."""

    capacity: int


class CancelAllEnrollments(Command):
    """The session was cancelled (or the course closed): every live enrolment ends, no promotion."""

    reason: CancellationReason


class CompleteEnrollment(Command):
    enrollment_id: UUID
    attestation_id: UUID
    completed_at: datetime
    completed_by: UUID
    # When the enrolment's session starts (None: a course without sessions): none is completed,
    # and no attestation issued, before its session has started.
    session_starts_at: datetime | None = None


class RateCourse(Command):
    enrollment_id: UUID
    agent_id: UUID
    score: int
    comment: str | None = None

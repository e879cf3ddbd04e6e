"""The enrolment decider: seats never exceed capacity; the rest wait in arrival order.

One stream is a session's whole roster (so its version serialises the seats) or one agent's
enrolments in a self-paced course. ``decide`` never does I/O: capacity comes in the command.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from campus_events.contracts.enrollment import (
    AgentEnrolled,
    AgentWaitlisted,
    CourseCompleted,
    CourseEnrollmentEvent,
    CourseRated,
    EnrollmentCancelled,
    WaitlistPromoted,
)
from campus_events.contracts.vocab import EnrollmentStatus

from .commands import (
    CancelAllEnrollments,
    CancelEnrollment,
    Command,
    CompleteEnrollment,
    Enroll,
    FillFreeSeats,
    RateCourse,
)
from .errors import (
    AlreadyEnrolledError,
    EnrollmentNotFoundError,
    InvalidTransitionError,
)

LIVE = frozenset({EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED, EnrollmentStatus.COMPLETED})


class Seat(BaseModel):
    model_config = ConfigDict(frozen=True)

    enrollment_id: UUID
    agent_id: UUID
    ministry: str
    course_id: UUID
    session_id: UUID | None
    status: EnrollmentStatus
    rated: bool = False
    # What a command's answer shows as a read does (CONTRACT: a write answers the new state).
    enrolled_by: UUID | None = None
    attestation_id: UUID | None = None
    completed_at: datetime | None = None


class Roster(BaseModel):
    """The fold of one enrolment stream; ``waitlist`` keeps arrival order."""

    model_config = ConfigDict(frozen=True)

    seats: dict[UUID, Seat] = {}
    waitlist: tuple[UUID, ...] = ()
    enrolled: int = 0
    # agent -> their live enrolment: a hot session decides each command without scanning its seats
    # (the scan made 2,000 enrolments on one session quadratic: bench/hotspot.py).
    live: dict[UUID, UUID] = {}

    def live_for(self, agent_id: UUID) -> Seat | None:
        enrollment_id = self.live.get(agent_id)
        return None if enrollment_id is None else self.seats[enrollment_id]

    def seat(self, enrollment_id: UUID) -> Seat:
        if (seat := self.seats.get(enrollment_id)) is None:
            raise EnrollmentNotFoundError(f"no enrolment {enrollment_id}")
        return seat


def _with(state: Roster, seat: Seat, **changes: object) -> dict[UUID, Seat]:
    return {**state.seats, seat.enrollment_id: seat.model_copy(update=changes)}


def _without(live: dict[UUID, UUID], seat: Seat) -> dict[UUID, UUID]:
    if live.get(seat.agent_id) != seat.enrollment_id:
        return live
    rest = dict(live)
    del rest[seat.agent_id]
    return rest


def evolve(state: Roster, event: CourseEnrollmentEvent) -> Roster:
    match event:
        case AgentEnrolled() | AgentWaitlisted():
            waiting = isinstance(event, AgentWaitlisted)
            seat = Seat(
                enrollment_id=event.enrollment_id,
                agent_id=event.agent_id,
                ministry=event.ministry,
                course_id=event.course_id,
                session_id=event.session_id,
                status=EnrollmentStatus.WAITLISTED if waiting else EnrollmentStatus.ENROLLED,
                enrolled_by=event.enrolled_by,
            )
            return state.model_copy(
                update={
                    "seats": {**state.seats, seat.enrollment_id: seat},
                    "waitlist": (*state.waitlist, seat.enrollment_id) if waiting else state.waitlist,
                    "enrolled": state.enrolled + (0 if waiting else 1),
                    "live": {**state.live, seat.agent_id: seat.enrollment_id},
                }
            )
        case WaitlistPromoted():
            seat = state.seat(event.enrollment_id)
            return state.model_copy(
                update={
                    "seats": _with(state, seat, status=EnrollmentStatus.ENROLLED),
                    "waitlist": tuple(i for i in state.waitlist if i != seat.enrollment_id),
                    "enrolled": state.enrolled + 1,
                }
            )
        case EnrollmentCancelled():
            seat = state.seat(event.enrollment_id)
            return state.model_copy(
                update={
                    "seats": _with(state, seat, status=EnrollmentStatus.CANCELLED),
                    "waitlist": tuple(i for i in state.waitlist if i != seat.enrollment_id),
                    "enrolled": state.enrolled - (seat.status == EnrollmentStatus.ENROLLED),
                    "live": _without(state.live, seat),
                }
            )
        case CourseCompleted():
            seat = state.seat(event.enrollment_id)
            completed = {"attestation_id": event.attestation_id, "completed_at": event.completed_at}
            seats = _with(state, seat, status=EnrollmentStatus.COMPLETED, **completed)
            return state.model_copy(update={"seats": seats})
        case CourseRated():
            seat = state.seat(event.enrollment_id)
            return state.model_copy(update={"seats": _with(state, seat, rated=True)})
    return state


def fold(events: list[CourseEnrollmentEvent], state: Roster | None = None) -> Roster:
    state = state or Roster()
    for event in events:
        state = evolve(state, event)
    return state


def _ids(seat: Seat) -> dict[str, object]:
    return {
        "enrollment_id": seat.enrollment_id,
        "agent_id": seat.agent_id,
        "ministry": seat.ministry,
        "course_id": seat.course_id,
        "session_id": seat.session_id,
    }


def _promotions(state: Roster, capacity: int, freed_by: UUID | None = None) -> list[CourseEnrollmentEvent]:
    free = max(capacity - state.enrolled, 0)
    return [
        WaitlistPromoted(**_ids(state.seats[i]), freed_by_enrollment_id=freed_by)
        for i in state.waitlist[:free]
    ]


def decide(state: Roster, command: Command) -> list[CourseEnrollmentEvent]:
    match command:
        case Enroll():
            if state.live_for(command.agent_id) is not None:
                raise AlreadyEnrolledError("this agent is already enrolled (or waiting) here")
            ids = command.model_dump(exclude={"capacity"})
            if command.capacity is None or state.enrolled < command.capacity:
                return [AgentEnrolled(**ids)]
            return [AgentWaitlisted(**ids, waitlist_position=len(state.waitlist) + 1)]
        case CancelEnrollment():
            seat = state.seat(command.enrollment_id)
            if seat.status not in (EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED):
                raise InvalidTransitionError(f"an enrolment that is {seat.status} cannot be cancelled")
            cancelled = EnrollmentCancelled(**_ids(seat), reason=command.reason, previous_status=seat.status)
            after = evolve(state, cancelled)
            promoted = (
                [] if command.capacity is None else _promotions(after, command.capacity, seat.enrollment_id)
            )
            return [cancelled, *promoted]
        case FillFreeSeats():
            return _promotions(state, command.capacity)
        case CancelAllEnrollments():
            return [
                EnrollmentCancelled(**_ids(s), reason=command.reason, previous_status=s.status)
                for s in state.seats.values()
                if s.status in (EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED)
            ]
        case CompleteEnrollment():
            seat = state.seat(command.enrollment_id)
            if seat.status != EnrollmentStatus.ENROLLED:
                raise InvalidTransitionError(
                    f"only an enrolled agent can complete; this one is {seat.status}"
                )
            starts = command.session_starts_at
            if starts is not None and command.completed_at < starts:
                raise InvalidTransitionError(
                    f"the session starts on {starts.isoformat()}: an enrolment is completed once its"
                    " session has started"
                )
            fields = command.model_dump(exclude={"enrollment_id", "session_starts_at"})
            return [CourseCompleted(**_ids(seat), **fields)]
        case RateCourse():
            seat = state.seat(command.enrollment_id)
            if seat.agent_id != command.agent_id:
                raise EnrollmentNotFoundError(f"no enrolment {command.enrollment_id}")
            if seat.status != EnrollmentStatus.COMPLETED:
                raise InvalidTransitionError("a course can be rated only after it was completed")
            if seat.rated:
                raise InvalidTransitionError("this course was already rated")
            return [CourseRated(**_ids(seat), score=command.score, comment=command.comment)]
    raise TypeError(f"unknown command {type(command).__name__}")

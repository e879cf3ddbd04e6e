"""One async function per command: load the stream, fold, decide, return an ``Outcome``.

Routes hold ``rosters.hold(stream)`` around ``run_command`` so that the load, the decision and
the append of one stream never interleave inside this process.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

import asyncpg

from campus_events.contracts.enrollment import AgentWaitlisted, CourseEnrollmentEvent
from campus_events.contracts.vocab import CancellationReason, EnrollmentStatus
from campus_events.envelope import Envelope
from campus_events.store.postgres import PostgresEventStore
from campus_service import (
    CommandContext,
    ForbiddenError,
    NotFoundError,
    Outcome,
    Principal,
    UnprocessableError,
)

from . import catalog
from .api.schemas import EnrollmentIn, EnrollmentOut, RatingIn
from .domain.commands import CancelEnrollment, CompleteEnrollment, Enroll, RateCourse
from .domain.decider import Roster, decide
from .domain.errors import EnrollmentClosedError
from .rosters import Rosters, enrollment_stream


@dataclass(frozen=True)
class Enrollee:
    agent_id: UUID
    ministry: str


async def enrollee(pool: asyncpg.Pool, principal: Principal, agent_id: UUID | None) -> Enrollee:
    """Who is enrolled: the caller, or (for a manager) a known agent of the manager's ministry."""
    if agent_id is None or agent_id == principal.sub:
        if principal.ministry is None:
            raise ForbiddenError("enrolling needs a token with a ministry")
        return Enrollee(principal.sub, principal.ministry)
    if not principal.has_role("manager"):
        raise ForbiddenError("an agent can only enrol themself")
    known, ministry = await catalog.profile_ministry(pool, agent_id)
    if not known or ministry is None:
        raise NotFoundError(f"no agent {agent_id} has used the service")
    if ministry != principal.ministry:
        raise ForbiddenError("a manager can only enrol agents of their own ministry")
    return Enrollee(agent_id, ministry)


def stream_for(who: Enrollee, body: EnrollmentIn) -> str:
    return enrollment_stream(who.agent_id, body.course_id, body.session_id)


def envelope(ctx: CommandContext, event: CourseEnrollmentEvent, stream: str) -> Envelope:
    # The contract's aggregate (and so the subject) stays ``enrollment``; the stream is the roster.
    return ctx.envelope(event, event.enrollment_id, ministry=event.ministry).model_copy(
        update={"stream": stream}
    )


def out(roster: Roster, event: CourseEnrollmentEvent, **extra: object) -> EnrollmentOut:
    seat = roster.seats.get(event.enrollment_id)
    fields: dict[str, object] = {
        "id": event.enrollment_id,
        "agent_id": event.agent_id,
        "ministry": event.ministry,
        "course_id": event.course_id,
        "session_id": event.session_id,
        "status": seat.status if seat else EnrollmentStatus.ENROLLED,
    }
    if seat is not None:
        fields |= {k: getattr(seat, k) for k in ("enrolled_by", "attestation_id", "completed_at")}
    return EnrollmentOut(**{**fields, **extra})


async def _no_session() -> catalog.Session | None:
    return None


async def enroll(
    store: PostgresEventStore,
    pool: asyncpg.Pool,
    rosters: Rosters,
    ctx: CommandContext,
    who: Enrollee,
    body: EnrollmentIn,
) -> Outcome:
    stream = stream_for(who, body)
    # Three independent reads at once: the route holds the stream's lock around this handler, so on
    # a hot session every round trip here is paid in series by every queued command (bench/hotspot.py).
    course, session, (roster, version) = await asyncio.gather(
        catalog.course(pool, body.course_id),
        catalog.session(pool, body.session_id) if body.session_id is not None else _no_session(),
        rosters.load(store, stream),
    )
    if course is None:
        raise NotFoundError(f"no course {body.course_id}")
    if course.status != "published":
        raise EnrollmentClosedError(f"the course is {course.status}: it takes no enrolment")
    capacity = None
    if body.session_id is not None:
        if session is None or session.course_id != body.course_id:
            raise NotFoundError(f"no session {body.session_id} of course {body.course_id}")
        if session.cancelled:
            raise EnrollmentClosedError("the session was cancelled")
        capacity = session.capacity
    elif course.pace == "scheduled":
        raise UnprocessableError("session_id: a scheduled course is enrolled in through one of its sessions")
    command = Enroll(
        enrollment_id=uuid4(),
        agent_id=who.agent_id,
        ministry=who.ministry,
        course_id=body.course_id,
        session_id=body.session_id,
        enrolled_by=ctx.principal.sub,
        capacity=capacity,
    )
    (event,) = decide(roster, command)
    response = out(
        roster,
        event,
        status=EnrollmentStatus.WAITLISTED
        if isinstance(event, AgentWaitlisted)
        else EnrollmentStatus.ENROLLED,
        waitlist_position=event.waitlist_position if isinstance(event, AgentWaitlisted) else None,
        enrolled_by=ctx.principal.sub,
    )
    return Outcome(
        [envelope(ctx, event, stream)],
        {stream: version},
        response,
        status=201,
        location=f"/v1/enrollments/{event.enrollment_id}",
    )


async def cancel(
    store: PostgresEventStore,
    pool: asyncpg.Pool,
    rosters: Rosters,
    ctx: CommandContext,
    stream: str,
    enrollment_id: UUID,
) -> Outcome:
    roster, version = await rosters.load(store, stream)
    seat = roster.seat(enrollment_id)
    capacity = None
    if seat.session_id is not None and (session := await catalog.session(pool, seat.session_id)) is not None:
        capacity = None if session.cancelled else session.capacity
    owner = seat.agent_id == ctx.principal.sub
    reason = CancellationReason.AGENT if owner else CancellationReason.STAFF
    events = decide(roster, CancelEnrollment(enrollment_id=enrollment_id, reason=reason, capacity=capacity))
    response = out(roster, events[0], status=EnrollmentStatus.CANCELLED)
    return Outcome([envelope(ctx, e, stream) for e in events], {stream: version}, response)


async def complete(
    store: PostgresEventStore,
    rosters: Rosters,
    ctx: CommandContext,
    stream: str,
    enrollment_id: UUID,
    session_starts_at: datetime | None = None,
) -> Outcome:
    roster, version = await rosters.load(store, stream)
    command = CompleteEnrollment(
        enrollment_id=enrollment_id,
        attestation_id=uuid4(),
        completed_at=datetime.now(UTC),
        completed_by=ctx.principal.sub,
        session_starts_at=session_starts_at,
    )
    (event,) = decide(roster, command)
    response = out(
        roster,
        event,
        status=EnrollmentStatus.COMPLETED,
        attestation_id=command.attestation_id,
        completed_at=command.completed_at,
    )
    return Outcome([envelope(ctx, event, stream)], {stream: version}, response)


async def rate(
    store: PostgresEventStore,
    rosters: Rosters,
    ctx: CommandContext,
    stream: str,
    enrollment_id: UUID,
    body: RatingIn,
) -> Outcome:
    roster, version = await rosters.load(store, stream)
    command = RateCourse(
        enrollment_id=enrollment_id, agent_id=ctx.principal.sub, score=body.score, comment=body.comment
    )
    (event,) = decide(roster, command)
    response = out(roster, event, status=EnrollmentStatus.COMPLETED, score=body.score, comment=body.comment)
    return Outcome([envelope(ctx, event, stream)], {stream: version}, response)

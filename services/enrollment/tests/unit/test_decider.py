"""The enrolment decider: given events, when a command, then events (or an error). No I/O."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campus_enrollment import domain
from campus_enrollment.domain.commands import (
    CancelAllEnrollments,
    CancelEnrollment,
    CompleteEnrollment,
    Enroll,
    FillFreeSeats,
    RateCourse,
)
from campus_enrollment.domain.decider import decide, fold
from campus_enrollment.domain.errors import (
    AlreadyEnrolledError,
    EnrollmentNotFoundError,
    InvalidTransitionError,
)
from campus_events.contracts.enrollment import (
    AgentEnrolled,
    AgentWaitlisted,
    CourseCompleted,
    CourseRated,
    EnrollmentCancelled,
    WaitlistPromoted,
)

COURSE, SESSION = uuid.uuid4(), uuid.uuid4()


def enroll(agent=None, capacity=2):
    agent = agent or uuid.uuid4()
    return Enroll(
        enrollment_id=uuid.uuid4(),
        agent_id=agent,
        ministry="dinum",
        course_id=COURSE,
        session_id=SESSION,
        enrolled_by=agent,
        capacity=capacity,
    )


def given(*commands):
    """The events of the commands, decided one after another."""
    events = []
    for command in commands:
        events += decide(fold(events), command)
    return events


def test_seats_then_the_line_in_arrival_order():
    events = given(*(enroll() for _ in range(4)))
    assert [type(e) for e in events] == [AgentEnrolled, AgentEnrolled, AgentWaitlisted, AgentWaitlisted]
    assert [e.waitlist_position for e in events[2:]] == [1, 2]


def test_the_same_agent_twice_is_refused():
    agent = uuid.uuid4()
    events = given(enroll(agent))
    with pytest.raises(AlreadyEnrolledError):
        decide(fold(events), enroll(agent))


def test_a_freed_seat_goes_to_the_first_in_line():
    events = given(*(enroll() for _ in range(4)))
    then = decide(
        fold(events), CancelEnrollment(enrollment_id=events[0].enrollment_id, reason="agent", capacity=2)
    )
    assert [type(e) for e in then] == [EnrollmentCancelled, WaitlistPromoted]
    assert then[0].previous_status == "enrolled"
    assert (
        then[1].enrollment_id == events[2].enrollment_id
        and then[1].freed_by_enrollment_id == events[0].enrollment_id
    )


def test_leaving_the_line_promotes_nobody():
    events = given(*(enroll() for _ in range(4)))
    then = decide(
        fold(events), CancelEnrollment(enrollment_id=events[3].enrollment_id, reason="agent", capacity=2)
    )
    assert [type(e) for e in then] == [EnrollmentCancelled] and then[0].previous_status == "waitlisted"


def test_a_larger_capacity_promotes_in_order_and_only_once():
    events = given(*(enroll() for _ in range(5)))
    then = decide(fold(events), FillFreeSeats(capacity=4))
    assert [e.enrollment_id for e in then] == [events[2].enrollment_id, events[3].enrollment_id]
    assert decide(fold(events + then), FillFreeSeats(capacity=4)) == []


def test_a_cancelled_session_cancels_every_live_enrolment_once():
    events = given(*(enroll() for _ in range(3)))
    then = decide(fold(events), CancelAllEnrollments(reason="session_cancelled"))
    assert len(then) == 3 and all(isinstance(e, EnrollmentCancelled) for e in then)
    assert decide(fold(events + then), CancelAllEnrollments(reason="session_cancelled")) == []


def test_completion_then_one_rating():
    events = given(enroll(), enroll(), enroll())
    waiting = events[2]
    complete = CompleteEnrollment(
        enrollment_id=events[0].enrollment_id,
        attestation_id=uuid.uuid4(),
        completed_at=datetime.now(UTC),
        completed_by=uuid.uuid4(),
    )
    with pytest.raises(InvalidTransitionError):
        decide(fold(events), complete.model_copy(update={"enrollment_id": waiting.enrollment_id}))
    rate = RateCourse(enrollment_id=events[0].enrollment_id, agent_id=events[0].agent_id, score=5)
    with pytest.raises(InvalidTransitionError):
        decide(fold(events), rate)
    future = complete.model_copy(update={"session_starts_at": complete.completed_at + timedelta(hours=1)})
    with pytest.raises(InvalidTransitionError, match="once its session has started"):
        decide(fold(events), future)  # no attestation for a session still to come
    done = decide(fold(events), complete.model_copy(update={"session_starts_at": complete.completed_at}))
    assert isinstance(done[0], CourseCompleted) and done[0].attestation_id == complete.attestation_id
    assert "session_starts_at" not in done[0].model_dump()  # not part of the event
    rated = decide(fold(events + done), rate)
    assert isinstance(rated[0], CourseRated)
    with pytest.raises(InvalidTransitionError):
        decide(fold(events + done + rated), rate)
    with pytest.raises(EnrollmentNotFoundError):
        decide(fold(events + done), rate.model_copy(update={"agent_id": uuid.uuid4()}))


def test_self_paced_has_no_seats():
    events = given(*(enroll(capacity=None) for _ in range(50)))
    assert all(isinstance(e, AgentEnrolled) for e in events)


def test_the_domain_does_no_io():
    for module in pkgutil.iter_modules(domain.__path__):
        importlib.import_module(f"{domain.__name__}.{module.name}")
    loaded = [m for m in sys.modules if m.startswith("campus_enrollment.domain")]
    for module_name in loaded:
        source = Path(sys.modules[module_name].__file__ or "").read_text(encoding="utf-8")
        for name in ("asyncpg", "nats", "fastapi", "httpx", "campus_service"):
            assert f"import {name}" not in source and f"from {name}" not in source, (module_name, name)

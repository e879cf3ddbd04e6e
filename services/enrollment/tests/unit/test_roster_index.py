"""The roster's agent index (``Roster.live``): the same answers as scanning every seat, in O(1)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import pytest

from campus_enrollment.domain.commands import CancelEnrollment, CompleteEnrollment, Enroll
from campus_enrollment.domain.decider import LIVE, Roster, decide, evolve, fold
from campus_enrollment.domain.errors import AlreadyEnrolledError, InvalidTransitionError
from campus_events.contracts.vocab import CancellationReason

COURSE, SESSION = uuid.uuid4(), uuid.uuid4()


def enroll(agent: uuid.UUID, capacity: int = 3) -> Enroll:
    return Enroll(
        enrollment_id=uuid.uuid4(),
        agent_id=agent,
        ministry="dinum",
        course_id=COURSE,
        session_id=SESSION,
        enrolled_by=agent,
        capacity=capacity,
    )


def scanned(roster: Roster, agent: uuid.UUID):
    return next((s for s in roster.seats.values() if s.agent_id == agent and s.status in LIVE), None)


def test_an_agent_who_cancelled_may_enrol_again_and_is_then_refused_a_second_time():
    agent = uuid.uuid4()
    (enrolled,) = decide(Roster(), enroll(agent))
    roster = evolve(Roster(), enrolled)
    cancelled = decide(
        roster, CancelEnrollment(enrollment_id=enrolled.enrollment_id, reason=CancellationReason.AGENT)
    )
    roster = fold(cancelled, roster)
    assert roster.live_for(agent) is None
    (again,) = decide(roster, enroll(agent))
    roster = evolve(roster, again)
    assert roster.live_for(agent).enrollment_id == again.enrollment_id
    with pytest.raises(AlreadyEnrolledError):
        decide(roster, enroll(agent))


def test_a_completed_enrolment_still_counts_as_live():
    agent = uuid.uuid4()
    (enrolled,) = decide(Roster(), enroll(agent))
    roster = evolve(Roster(), enrolled)
    (completed,) = decide(
        roster,
        CompleteEnrollment(
            enrollment_id=enrolled.enrollment_id,
            attestation_id=uuid.uuid4(),
            completed_at=datetime.now(UTC),
            completed_by=uuid.uuid4(),
        ),
    )
    roster = evolve(roster, completed)
    with pytest.raises(AlreadyEnrolledError):
        decide(roster, enroll(agent))
    with pytest.raises(InvalidTransitionError):
        decide(
            roster, CancelEnrollment(enrollment_id=enrolled.enrollment_id, reason=CancellationReason.AGENT)
        )


def test_the_index_agrees_with_a_scan_of_the_seats_through_random_histories():
    rng = random.Random(13)
    agents = [uuid.uuid4() for _ in range(12)]
    roster = Roster()
    for _ in range(400):
        agent = rng.choice(agents)
        seat = roster.live_for(agent)
        if seat is None:
            command = enroll(agent)
        elif rng.random() < 0.5:
            command = CancelEnrollment(
                enrollment_id=seat.enrollment_id, reason=CancellationReason.STAFF, capacity=3
            )
        else:
            command = enroll(agent)
        try:
            roster = fold(decide(roster, command), roster)
        except AlreadyEnrolledError:
            assert scanned(roster, agent) is not None
        for a in agents:
            assert roster.live_for(a) == scanned(roster, a)
    assert roster.enrolled <= 3

"""Given events / when command / then events (or error): the catalog's deciders, no I/O."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from campus_catalog import domain
from campus_catalog.domain import commands as cmd
from campus_catalog.domain.decider import CourseState, PathState, SessionState, decide, fold
from campus_catalog.domain.errors import InvalidCommandError, InvalidTransitionError, NotAllowedError
from campus_events.contracts import catalog as ev

COURSE, PROPOSER = uuid.uuid4(), uuid.uuid4()
DESCRIPTION = cmd.CourseFields(
    title="Découvrir les IA génératives", kind="formation", summary="1 h pour comprendre.",
    modality="online", themes=["data"], sub_themes=["intelligence-artificielle"],
)  # fmt: skip
PROPOSED = ev.CourseProposed(course_id=COURSE, proposed_by=PROPOSER, **DESCRIPTION.model_dump())


def given(*events):
    return fold(CourseState(), list(events))


def test_propose_then_publish_then_archive():
    (proposed,) = decide(
        CourseState(), cmd.ProposeCourse(course_id=COURSE, proposed_by=PROPOSER, description=DESCRIPTION)
    )
    assert proposed == PROPOSED
    assert decide(given(PROPOSED), cmd.PublishCourse(course_id=COURSE)) == [
        ev.CoursePublished(course_id=COURSE)
    ]
    state = given(PROPOSED, ev.CoursePublished(course_id=COURSE))
    assert state.status == "published" and state.version == 2
    assert decide(state, cmd.ArchiveCourse(course_id=COURSE)) == [ev.CourseArchived(course_id=COURSE)]


@pytest.mark.parametrize(
    "command", [cmd.PublishCourse(course_id=COURSE), cmd.RejectCourse(course_id=COURSE, reason="non")]
)
def test_an_archived_course_cannot_be_published_or_rejected(command):
    with pytest.raises(InvalidTransitionError):
        decide(given(PROPOSED, ev.CourseArchived(course_id=COURSE)), command)


def test_revision_carries_the_whole_description_and_the_changed_fields():
    command = cmd.ReviseCourse(course_id=COURSE, revised_by=PROPOSER, by_staff=False, changes={"title": "IA"})
    (revised,) = decide(given(PROPOSED), command)
    assert (
        revised.title == "IA"
        and revised.summary == DESCRIPTION.summary
        and revised.changed_fields == ["title"]
    )
    same = cmd.ReviseCourse(
        course_id=COURSE, revised_by=PROPOSER, by_staff=False, changes={"title": DESCRIPTION.title}
    )
    assert decide(given(PROPOSED), same) == []


def test_only_the_proposer_or_staff_revise_and_the_result_must_be_valid():
    stranger = cmd.ReviseCourse(
        course_id=COURSE, revised_by=uuid.uuid4(), by_staff=False, changes={"title": "x"}
    )
    with pytest.raises(NotAllowedError):
        decide(given(PROPOSED), stranger)
    invalid = cmd.ReviseCourse(
        course_id=COURSE, revised_by=uuid.uuid4(), by_staff=True, changes={"themes": []}
    )
    with pytest.raises(InvalidCommandError):
        decide(given(PROPOSED), invalid)


def test_sessions_capacity_change_and_cancellation():
    place = cmd.SessionPlace(
        starts_at=datetime(2030, 1, 1, 9, tzinfo=UTC),
        ends_at=datetime(2030, 1, 1, 12, tzinfo=UTC),
        location="Paris",
    )
    sid = uuid.uuid4()
    (scheduled,) = decide(
        given(PROPOSED), cmd.ScheduleSession(session_id=sid, course_id=COURSE, place=place, capacity=10)
    )
    session = fold(SessionState(), [scheduled])
    (changed,) = decide(session, cmd.ChangeSession(session_id=sid, capacity=15))
    assert changed == ev.SessionCapacityChanged(
        session_id=sid, course_id=COURSE, capacity=15, previous_capacity=10
    )
    cancelled = fold(session, decide(session, cmd.CancelSession(session_id=sid)))
    with pytest.raises(InvalidTransitionError):
        decide(cancelled, cmd.CancelSession(session_id=sid))
    with pytest.raises(InvalidTransitionError):
        decide(given(PROPOSED, ev.CourseRejected(course_id=COURSE, reason="non")),
               cmd.ScheduleSession(session_id=sid, course_id=COURSE, place=place, capacity=1))  # fmt: skip


def test_session_shape_rules():
    start = datetime(2030, 1, 1, 9, tzinfo=UTC)
    with pytest.raises(ValidationError):
        cmd.SessionPlace(starts_at=start, ends_at=start, location="Paris")
    with pytest.raises(ValidationError):
        cmd.SessionPlace(starts_at=start, ends_at=datetime(2030, 1, 2, tzinfo=UTC))


def test_paths_are_defined_then_published_once():
    pid = uuid.uuid4()
    define = cmd.DefinePath(
        path_id=pid, title="Vers la data", course_ids=[COURSE], target_job="Data analyst", reconversion=True
    )
    state = fold(PathState(), decide(PathState(), define))
    assert state.status == "draft" and state.definition.reconversion
    published = fold(state, decide(state, cmd.PublishPath(path_id=pid)))
    with pytest.raises(InvalidTransitionError):
        decide(published, cmd.PublishPath(path_id=pid))


def test_the_domain_imports_no_io():
    for module in pkgutil.iter_modules(domain.__path__):
        importlib.import_module(f"campus_catalog.domain.{module.name}")
    assert not {"asyncpg", "nats", "fastapi"} & {
        m.split(".")[0] for m in sys.modules if m.startswith("campus_catalog.domain")
    }
    for name in ("asyncpg", "nats", "fastapi", "httpx"):
        for module in pkgutil.iter_modules(domain.__path__):
            source = importlib.import_module(f"campus_catalog.domain.{module.name}").__file__
            assert f"import {name}" not in Path(source).read_text(encoding="utf-8")

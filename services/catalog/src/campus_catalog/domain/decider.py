"""Deciders of the catalog's three aggregates: ``decide(state, command)`` and ``evolve(state, event)``.

A session is scheduled against its course's state (a rejected or archived course takes no session),
so ``ScheduleSession`` is decided on a ``CourseState``; every other command on its own aggregate.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError

from campus_events.contracts import catalog as ev
from campus_events.registry import CampusEvent

from . import commands as cmd
from .errors import InvalidCommandError, InvalidTransitionError, NotAllowedError


class State(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


class CourseState(State):
    status: str | None = None
    description: cmd.CourseFields | None = None
    proposed_by: UUID | None = None


class SessionState(State):
    course_id: UUID | None = None
    status: str | None = None
    place: cmd.SessionPlace | None = None
    capacity: int = 0


class PathState(State):
    status: str | None = None
    definition: cmd.DefinePath | None = None


DESCRIPTION_FIELDS = tuple(cmd.CourseFields.model_fields)


def _description(event: ev.CourseDescription) -> cmd.CourseFields:
    return cmd.CourseFields.model_construct(**{f: getattr(event, f) for f in DESCRIPTION_FIELDS})


# --- evolve ---------------------------------------------------------------------------------


def evolve_course(state: CourseState, event: CampusEvent) -> CourseState:
    update: dict[str, Any] = {"version": state.version + 1}
    if isinstance(event, ev.CourseProposed):
        update |= {"status": "proposed", "description": _description(event), "proposed_by": event.proposed_by}
    elif isinstance(event, ev.CourseRevised):
        update["description"] = _description(event)
    elif isinstance(event, ev.CoursePublished):
        update["status"] = "published"
    elif isinstance(event, ev.CourseRejected):
        update["status"] = "rejected"
    elif isinstance(event, ev.CourseArchived):
        update["status"] = "archived"
    return state.model_copy(update=update)


def evolve_session(state: SessionState, event: CampusEvent) -> SessionState:
    update: dict[str, Any] = {"version": state.version + 1}
    if isinstance(event, ev.SessionScheduled | ev.SessionRescheduled):
        place = cmd.SessionPlace.model_construct(
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            location=event.location,
            join_url=event.join_url,
            trainer_ids=list(event.trainer_ids),
        )
        update |= {"course_id": event.course_id, "place": place}
        if isinstance(event, ev.SessionScheduled):
            update |= {"status": "scheduled", "capacity": event.capacity}
    elif isinstance(event, ev.SessionCapacityChanged):
        update["capacity"] = event.capacity
    elif isinstance(event, ev.SessionCancelled):
        update["status"] = "cancelled"
    return state.model_copy(update=update)


def evolve_path(state: PathState, event: CampusEvent) -> PathState:
    update: dict[str, Any] = {"version": state.version + 1}
    if isinstance(event, ev.LearningPathDefined):
        definition = cmd.DefinePath.model_construct(
            **{f: getattr(event, f) for f in cmd.DefinePath.model_fields}
        )
        update |= {"definition": definition, "status": state.status or "draft"}
    elif isinstance(event, ev.LearningPathPublished):
        update["status"] = "published"
    return state.model_copy(update=update)


# --- decide ---------------------------------------------------------------------------------


def decide_course(state: CourseState, command: cmd.Command) -> list[CampusEvent]:
    match command:
        case cmd.ProposeCourse(course_id=course_id, proposed_by=by, description=d):
            if state.exists:
                raise InvalidTransitionError("this course already exists")
            return [ev.CourseProposed(course_id=course_id, proposed_by=by, **d.model_dump())]
        case cmd.ReviseCourse():
            return _revise(state, command)
        case cmd.PublishCourse(course_id=course_id):
            _require(state, {"proposed"}, "publish")
            return [ev.CoursePublished(course_id=course_id)]
        case cmd.RejectCourse(course_id=course_id, reason=reason):
            _require(state, {"proposed"}, "reject")
            return [ev.CourseRejected(course_id=course_id, reason=reason)]
        case cmd.ArchiveCourse(course_id=course_id, reason=reason):
            _require(state, {"proposed", "published", "rejected"}, "archive")
            return [ev.CourseArchived(course_id=course_id, reason=reason)]
        case cmd.ScheduleSession(session_id=sid, course_id=course_id, place=place, capacity=capacity):
            _require(state, {"proposed", "published"}, "schedule a session of")
            return [
                ev.SessionScheduled(
                    session_id=sid, course_id=course_id, capacity=capacity, **place.model_dump()
                )
            ]
    raise TypeError(f"not a course command: {command!r}")


def _require(state: CourseState, allowed: set[str], verb: str) -> None:
    if state.status not in allowed:
        raise InvalidTransitionError(f"cannot {verb} a course that is {state.status}")


def _revise(state: CourseState, command: cmd.ReviseCourse) -> list[CampusEvent]:
    if not command.by_staff and state.proposed_by != command.revised_by:
        raise NotAllowedError("only the proposer or the Campus staff may revise this course")
    _require(state, {"proposed", "published"}, "revise")
    assert state.description is not None
    current = state.description.model_dump()
    try:
        revised = cmd.CourseFields.model_validate({**current, **command.changes})
    except ValidationError as exc:
        raise InvalidCommandError(str(exc)) from None
    changed = [f for f in DESCRIPTION_FIELDS if revised.model_dump()[f] != current[f]]
    if not changed:
        return []
    return [
        ev.CourseRevised(
            course_id=command.course_id,
            revised_by=command.revised_by,
            changed_fields=changed,
            **revised.model_dump(),
        )
    ]


def decide_session(state: SessionState, command: cmd.Command) -> list[CampusEvent]:
    if not state.exists or state.course_id is None:
        raise InvalidTransitionError("no such session")
    if state.status == "cancelled":
        raise InvalidTransitionError("this session is cancelled")
    match command:
        case cmd.ChangeSession(session_id=sid, place=place, capacity=capacity):
            events: list[CampusEvent] = []
            if place is not None and place != state.place:
                events.append(
                    ev.SessionRescheduled(session_id=sid, course_id=state.course_id, **place.model_dump())
                )
            if capacity is not None and capacity != state.capacity:
                events.append(
                    ev.SessionCapacityChanged(
                        session_id=sid,
                        course_id=state.course_id,
                        capacity=capacity,
                        previous_capacity=state.capacity or None,
                    )
                )
            return events
        case cmd.CancelSession(session_id=sid, reason=reason):
            return [ev.SessionCancelled(session_id=sid, course_id=state.course_id, reason=reason)]
    raise TypeError(f"not a session command: {command!r}")


def decide_path(state: PathState, command: cmd.Command) -> list[CampusEvent]:
    match command:
        case cmd.DefinePath():
            if state.exists:
                raise InvalidTransitionError("this learning path already exists")
            return [ev.LearningPathDefined(**command.model_dump())]
        case cmd.PublishPath(path_id=pid):
            if state.status != "draft":
                raise InvalidTransitionError(f"cannot publish a learning path that is {state.status}")
            return [ev.LearningPathPublished(path_id=pid)]
    raise TypeError(f"not a learning-path command: {command!r}")


def fold(state: Any, events: list[CampusEvent]) -> Any:
    for event in events:
        state = evolve(state, event)
    return state


def evolve(state: State, event: CampusEvent) -> Any:
    """The aggregate's state after ``event``."""
    if isinstance(state, CourseState):
        return evolve_course(state, event)
    if isinstance(state, SessionState):
        return evolve_session(state, event)
    if isinstance(state, PathState):
        return evolve_path(state, event)
    raise TypeError(f"not a catalog state: {state!r}")


def decide(state: State, command: cmd.Command) -> list[CampusEvent]:
    """The events ``command`` produces on ``state``; a ``CatalogError`` if it is refused."""
    if isinstance(state, CourseState):
        return decide_course(state, command)
    if isinstance(state, SessionState):
        return decide_session(state, command)
    if isinstance(state, PathState):
        return decide_path(state, command)
    raise TypeError(f"not a catalog state: {state!r}")

"""Authorisation rules that need current state, run as dependencies (so 401/403 come before 422)."""

from __future__ import annotations

from uuid import UUID

from fastapi import Depends, Request

from campus_events.envelope import stream_id
from campus_service import ForbiddenError, Gate, NotFoundError
from campus_service.auth import Principal, Scope

from ..domain.decider import CourseState, fold


class RegisteredTrainerOrStaff(Gate):
    """Who may propose a course: the Campus staff, or a registered trainer not withdrawn."""

    scope = Scope("registered-trainer", "a registered trainer (not withdrawn)", exempt=("campus_staff",))

    async def check(self, request: Request, principal: Principal) -> None:
        if principal.has_role("campus_staff"):
            return
        pool = request.app.state.runtime.pool
        registered = await pool.fetchval(
            "SELECT true FROM registered_trainers WHERE trainer_id = $1 AND NOT withdrawn", principal.sub
        )
        if not registered:
            raise ForbiddenError("only registered trainers and the Campus staff may propose a course")


class ProposerOrStaff(Gate):
    """Who may revise a course: its proposer or the Campus staff (404 for an unknown course)."""

    scope = Scope("relation", "the course's proposer", exempt=("campus_staff",), other_ministry=403)

    async def check(self, request: Request, principal: Principal) -> None:
        try:
            course_id = UUID(request.path_params["course_id"])
        except ValueError:
            raise NotFoundError("no such course") from None
        envelopes = await request.app.state.runtime.store.read_stream(stream_id("course", course_id))
        state: CourseState = fold(CourseState(), [e.event() for e in envelopes])
        if not state.exists:
            raise NotFoundError(f"no course {course_id}")
        if not principal.has_role("campus_staff") and state.proposed_by != principal.sub:
            raise ForbiddenError("only the proposer or the Campus staff may revise this course")


may_propose = Depends(RegisteredTrainerOrStaff())
may_revise = Depends(ProposerOrStaff())

"""Who may act on a trainer's resources: route dependencies, so 401/403 come before 422."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Depends, Request

from campus_events.envelope import stream_id
from campus_service import ForbiddenError, Gate, Principal
from campus_service.auth import Scope
from campus_service.roles import CAMPUS_STAFF

from ..domain.decider import fold
from ..domain.state import TrainerState


def _path_uuid(request: Request, param: str) -> UUID | None:
    try:
        return UUID(str(request.path_params.get(param)))
    except ValueError:
        return None


class TrainerOrStaff(Gate):
    """The trainer named in the path (``{trainer_id}``) themself, or the Campus staff."""

    def __init__(self, param: str = "trainer_id") -> None:
        self.param = param
        self.scope = Scope(
            "self", f"`{{{param}}}` is the caller's own id", exempt=(CAMPUS_STAFF,), other_ministry=403
        )

    async def check(self, request: Request, principal: Principal) -> None:
        if principal.has_role(CAMPUS_STAFF) or _path_uuid(request, self.param) == principal.sub:
            return
        raise ForbiddenError("only this trainer or the Campus staff may do this")


class RegisteredTrainer(Gate):
    """The caller is a registered trainer who has not withdrawn (read from the event store)."""

    scope = Scope("registered-trainer", "a registered trainer (not withdrawn)")

    async def check(self, request: Request, principal: Principal) -> None:
        store = request.app.state.runtime.store
        envelopes = await store.read_stream(stream_id("trainer", principal.sub))
        if not fold(TrainerState(), [e.event() for e in envelopes]).active:
            raise ForbiddenError("only a registered trainer may do this: register with POST /v1/trainers")


def trainer_or_staff(param: str = "trainer_id") -> Any:
    return Depends(TrainerOrStaff(param))


def registered_trainer() -> Any:
    return Depends(RegisteredTrainer())

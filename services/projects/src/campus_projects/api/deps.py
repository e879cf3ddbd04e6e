"""Route guards of the projects API, run as dependencies (so 401/403/404 come before 422)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Depends, Request

from campus_service import ForbiddenError, Gate, NotFoundError, Principal, ensure_same_ministry
from campus_service.auth import Scope
from campus_service.roles import STAFF_ROLES

from ..handlers import load_project


class ProjectAccess(Gate):
    """One of ``roles``, and the project (path ``project_id``) is of the caller's ministry.

    Read from the event store, not a projection: a project just opened is already guarded.
    """

    roles: tuple[str, ...]

    def __init__(self, *roles: str, rule: str = "the project belongs to the caller's ministry") -> None:
        self.roles = roles
        self.scope = Scope("resource-ministry", rule, exempt=STAFF_ROLES, other_ministry=403)

    async def check(self, request: Request, principal: Principal) -> None:
        if not principal.has_role(*self.roles):
            raise ForbiddenError(f"this needs one of the roles: {', '.join(self.roles)}")
        try:
            project_id = UUID(str(request.path_params.get("project_id")))
        except ValueError:
            raise NotFoundError("no such project") from None
        state = await load_project(request.app.state.runtime.store, project_id)
        if not state.exists:
            raise NotFoundError(f"no project {project_id}")
        ensure_same_ministry(principal, state.ministry)


def project_access(*roles: str, rule: str = "the project belongs to the caller's ministry") -> Any:
    return Depends(ProjectAccess(*roles, rule=rule))


class ManagerWithMinistry(Gate):
    """A manager opens projects for the ministry in their token: it must have one."""

    roles = ("manager",)
    scope = Scope("token-ministry", "opened for the ministry in the caller's token (one is required)")

    async def check(self, request: Request, principal: Principal) -> None:
        if not principal.has_role("manager"):
            raise ForbiddenError("this needs the role: manager")
        if principal.ministry is None:
            raise ForbiddenError("the token names no ministry")

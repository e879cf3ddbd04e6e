"""Who may manage a ministry's webhooks: admin and campus_staff for any ministry, a manager for
their own. Route dependencies, so 401/403 come before 422."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Depends, Request

from campus_service import (
    ForbiddenError,
    Gate,
    NotFoundError,
    Principal,
    ServiceUnavailableError,
    ensure_same_ministry,
)
from campus_service.auth import Scope
from campus_service.roles import ADMIN, CAMPUS_STAFF, MANAGER, STAFF_ROLES

from .. import registrations

ROLES = (ADMIN, CAMPUS_STAFF, MANAGER)


def _check_roles(principal: Principal) -> None:
    if not principal.has_role(*ROLES):
        raise ForbiddenError(f"this needs one of the roles: {', '.join(ROLES)}")


class ManagersOfTheMinistry(Gate):
    """The roles; the ministry named in the body or query is checked by the handler."""

    roles = ROLES
    scope = Scope(
        "token-ministry",
        "a manager registers and lists the webhooks of their own ministry only",
        exempt=STAFF_ROLES,
        other_ministry=403,
        decided="handler",
    )

    async def check(self, request: Request, principal: Principal) -> None:
        _check_roles(principal)


class WebhookOfTheMinistry(Gate):
    """The registration in the path (404 if there is none) belongs to the caller's ministry (403)."""

    roles = ROLES
    scope = Scope(
        "resource-ministry",
        "a manager acts on the webhooks of their own ministry only",
        exempt=STAFF_ROLES,
        other_ministry=403,
    )

    async def check(self, request: Request, principal: Principal) -> None:
        _check_roles(principal)
        try:
            webhook_id = UUID(str(request.path_params.get("webhook_id")))
        except ValueError:
            return  # the path's validation answers 422
        pool = request.app.state.runtime.pool
        if pool is None:
            raise ServiceUnavailableError("the database is not connected yet")
        row = await registrations.get(pool, webhook_id)
        if row is None:
            raise NotFoundError(f"no webhook {webhook_id}")
        ensure_same_ministry(principal, row["ministry"])
        request.state.webhook = row


def managers_of_the_ministry() -> Any:
    return Depends(ManagersOfTheMinistry())


def webhook_of_the_ministry() -> Any:
    return Depends(WebhookOfTheMinistry())

"""The Campus service kit: what every service's app, routes and handlers build on.

from campus_service import ServiceSettings, create_app, require_roles, run_command, Outcome
from campus_service.deps import CommandDep, PrincipalDep, StoreDep
from campus_service.routing import CampusRoute

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=[...])  # dependencies by a plan
"""

from __future__ import annotations

from .app import create_app
from .auth import (
    Gate,
    Principal,
    TokenVerifier,
    current_principal,
    ensure_same_ministry,
    optional_principal,
    require_roles,
    require_same_ministry,
)
from .body import parse_body
from .correlation import RequestContext, request_context
from .errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    NotFoundError,
    ServiceUnavailableError,
    UnauthorizedError,
    UnprocessableError,
    problem,
)
from .idempotency import CommandContext, CommandResult, Outcome, append_outcome, run_command
from .logging import bind_request, configure_logging
from .runtime import Runtime
from .settings import ServiceSettings, SettingsError, dev_database_url, load_settings, per_service

__all__ = [
    "CommandContext",
    "CommandResult",
    "ConflictError",
    "DomainError",
    "ForbiddenError",
    "Gate",
    "NotFoundError",
    "Outcome",
    "Principal",
    "RequestContext",
    "Runtime",
    "ServiceSettings",
    "ServiceUnavailableError",
    "SettingsError",
    "TokenVerifier",
    "UnauthorizedError",
    "UnprocessableError",
    "append_outcome",
    "bind_request",
    "configure_logging",
    "create_app",
    "current_principal",
    "dev_database_url",
    "ensure_same_ministry",
    "load_settings",
    "optional_principal",
    "parse_body",
    "per_service",
    "problem",
    "request_context",
    "require_roles",
    "require_same_ministry",
    "run_command",
]

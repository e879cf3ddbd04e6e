"""The one place where the projects domain's refusals become HTTP problems."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from campus_service import ConflictError, DomainError, ForbiddenError, NotFoundError, UnprocessableError

from ..domain.errors import (
    NotProjectOwnerError,
    ProjectError,
    ProjectNotFoundError,
    UnknownReferenceError,
)


def http_error(exc: ProjectError) -> DomainError:
    if isinstance(exc, ProjectNotFoundError):
        return NotFoundError(exc.detail)
    if isinstance(exc, NotProjectOwnerError):
        return ForbiddenError(exc.detail)
    if isinstance(exc, UnknownReferenceError):
        # Listed like a validation error, so clients find the field where they expect it.
        return UnprocessableError(
            exc.detail, errors=[{"field": exc.field, "reason": exc.detail, "in": "body"}]
        )
    return ConflictError(exc.detail)


@contextmanager
def domain_errors() -> Iterator[None]:
    try:
        yield
    except ProjectError as exc:
        raise http_error(exc) from None

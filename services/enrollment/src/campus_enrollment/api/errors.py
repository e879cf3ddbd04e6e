"""The domain's errors as the kit's HTTP errors: one status per kind, in one place.

Translated inside the command (not by an exception handler) so that ``run_command`` sees a
``DomainError``: a refused command then still answers a repeated Idempotency-Key with the first
response.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from campus_service import ConflictError, DomainError, NotFoundError
from campus_service.errors import domain_problem

from ..domain.errors import (
    AlreadyEnrolledError,
    EnrollmentClosedError,
    EnrollmentError,
    EnrollmentNotFoundError,
    InvalidTransitionError,
)

T = TypeVar("T")

HTTP: dict[type[EnrollmentError], type[DomainError]] = {
    EnrollmentNotFoundError: NotFoundError,
    AlreadyEnrolledError: ConflictError,
    EnrollmentClosedError: ConflictError,
    InvalidTransitionError: ConflictError,
}


def http_error(exc: EnrollmentError) -> DomainError:
    kind = next((h for d, h in HTTP.items() if isinstance(exc, d)), ConflictError)
    return kind(str(exc))


async def guarded(call: Awaitable[T]) -> T:
    try:
        return await call
    except EnrollmentError as exc:
        raise http_error(exc) from None


async def _enrollment_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EnrollmentError)
    return domain_problem(http_error(exc))


def install(app: FastAPI) -> None:
    app.add_exception_handler(EnrollmentError, _enrollment_error)

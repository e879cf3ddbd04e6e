"""Errors as ``application/problem+json`` (RFC 9457), mapped to HTTP in one place.

Services raise ``DomainError`` subclasses (``NotFoundError``, ``ConflictError``…) or their own
subclasses with a ``status`` and a ``title``; the handlers here turn every error into a problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from campus_events.store.base import ConcurrencyError

from .body import TEXT_INVALID

PROBLEM_MEDIA_TYPE = "application/problem+json"


class DomainError(Exception):
    """A request the service refuses; subclasses set ``status``, ``title`` and optionally ``type``."""

    status: int = 400
    title: str = "Bad request"
    type: str = "about:blank"

    def __init__(self, detail: str | None = None, *, headers: Mapping[str, str] | None = None, **extra: Any):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = dict(headers or {})
        self.extra = extra


class UnauthorizedError(DomainError):
    status, title = 401, "Unauthorized"

    def __init__(self, detail: str = "a valid bearer token is required", *, invalid_token: bool = False):
        challenge = 'Bearer error="invalid_token"' if invalid_token else "Bearer"
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class ForbiddenError(DomainError):
    status, title = 403, "Forbidden"


class NotFoundError(DomainError):
    status, title = 404, "Not found"


class ConflictError(DomainError):
    status, title = 409, "Conflict"


class UnprocessableError(DomainError):
    """A request invalid in itself, found out beyond schema validation (e.g. a rate above a maximum)."""

    status, title = 422, "Unprocessable content"


class ServiceUnavailableError(DomainError):
    status, title = 503, "Service unavailable"


def problem(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    type: str = "about:blank",
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response."""
    title = title or _phrase(status)
    body = {"type": type, "title": title, "status": status, "detail": detail or title, **extra}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_MEDIA_TYPE)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def field_errors(errors: Iterable[Mapping[str, Any]], *, request: bool) -> list[dict[str, str]]:
    """pydantic errors as ``[{field, reason}]``; ``field`` is a dotted path (``modules.0.title``).

    For request errors the first location item says where (``body``, ``query``, ``path``…): it is
    given as ``in`` and left out of the path.
    """
    out = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ())]
        where = loc.pop(0) if request and loc else None
        if error.get("type") == "json_invalid":
            ctx = error.get("ctx") or {}
            item = {"field": "body", "reason": f"invalid JSON: {ctx.get('error', 'cannot be decoded')}"}
        else:
            item = {"field": ".".join(loc) or (where or ""), "reason": str(error.get("msg", "invalid"))}
        if where is not None:
            item["in"] = where
        out.append(item)
    return out


def validation_problem(errors: list[dict[str, str]]) -> JSONResponse:
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return problem(422, f"invalid request: {fields}", title="Unprocessable content", errors=errors)


def domain_problem(exc: DomainError) -> JSONResponse:
    return problem(exc.status, exc.detail, title=exc.title, type=exc.type, headers=exc.headers, **exc.extra)


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in (400, 413, 415) and (refusal := await _auth_refusal(request)) is not None:
        return refusal
    detail = exc.detail if isinstance(exc.detail, str) else None
    extra: dict[str, Any] = {} if isinstance(exc.detail, str) or exc.detail is None else {"info": exc.detail}
    return problem(exc.status_code, detail, headers=exc.headers, **extra)


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    # FastAPI reports an undecodable JSON body before it resolves any dependency, and the kit's
    # routes text they could not store: authentication and authorisation still come first (CONTRACT).
    first = ("json_invalid", TEXT_INVALID)
    if any(e.get("type") in first for e in errors) and (refusal := await _auth_refusal(request)):
        return refusal
    return validation_problem(field_errors(errors, request=True))


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ValidationError)
    return validation_problem(field_errors(exc.errors(), request=False))


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return domain_problem(exc)


# The database went away mid-request (restart, failover, connection lost): a retryable 503, never a
# 500: the client should retry, and a retry with the same Idempotency-Key is safe whether or not the
# transaction committed. Found by the database-restart scenario of tests/reliability.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    # A connection cut in the middle of a query, then reset on its way back to the pool: asyncpg's
    # "cannot switch to state …; another operation is in progress" masks the lost connection.
    asyncpg.exceptions.InternalClientError,
    ConnectionError,
)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    return problem(
        503,
        f"the database is unavailable ({type(exc).__name__}): retry shortly",
        title="Service unavailable",
        headers={"Retry-After": "1"},
    )


# Text PostgreSQL cannot store (a NUL character, an unpaired UTF-16 surrogate from a JSON escape):
# bad input, a 422, never a 500. Nothing was written (the statement failed). Found by the fuzzing
# scenario of tests/reliability.
UNSTORABLE_TEXT: tuple[type[Exception], ...] = (
    asyncpg.exceptions.UntranslatableCharacterError,
    asyncpg.exceptions.CharacterNotInRepertoireError,
    UnicodeEncodeError,
)


async def _unstorable_text(request: Request, exc: Exception) -> JSONResponse:
    return validation_problem(
        [{"field": "body", "reason": "text contains a NUL character or an unpaired surrogate"}]
    )


async def _concurrency(request: Request, exc: Exception) -> JSONResponse:
    return problem(
        409, "the resource was changed by another request at the same time: retry", title="Conflict"
    )


async def _auth_refusal(request: Request) -> JSONResponse | None:
    """The 401/403 the route's auth dependencies would give, if the request fails them."""
    from .auth import check_route_gates

    try:
        await check_route_gates(request)
    except DomainError as exc:
        return domain_problem(exc)
    except StarletteHTTPException as exc:
        return problem(
            exc.status_code, exc.detail if isinstance(exc.detail, str) else None, headers=exc.headers
        )
    return None


def install_error_handlers(app: FastAPI) -> None:
    """Every error as problem+json (unhandled exceptions: see ``RequestContextMiddleware``)."""
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(ValidationError, _validation)
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(ConcurrencyError, _concurrency)
    for unavailable in DATABASE_UNAVAILABLE:
        app.add_exception_handler(unavailable, _database_unavailable)
    for unstorable in UNSTORABLE_TEXT:
        app.add_exception_handler(unstorable, _unstorable_text)

"""The domain's refusals as HTTP problems, in one place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from campus_service import ConflictError, DomainError, NotFoundError, UnprocessableError

from ..domain import errors

STATUS: dict[type[errors.FundingError], type[DomainError]] = {
    errors.EnvelopeNotFoundError: NotFoundError,
    errors.RequestNotFoundError: NotFoundError,
    errors.EnvelopeAlreadyOpenedError: ConflictError,
    errors.InvalidEnvelopeError: UnprocessableError,
    errors.ProjectCostOutOfBoundsError: UnprocessableError,
    errors.RateAboveMaximumError: UnprocessableError,
    errors.AmountAboveLimitError: UnprocessableError,
    errors.ProjectNotReadyError: ConflictError,
    errors.InvalidTransitionError: ConflictError,
    errors.EnvelopeExhaustedError: ConflictError,
    errors.ProjectAlreadyFundedError: ConflictError,
}

T = TypeVar("T")


def to_problem(exc: errors.FundingError) -> DomainError:
    """The kit's error for ``exc``; a field-level refusal names the field like a validation error."""
    kind = next(http for domain, http in STATUS.items() if isinstance(exc, domain))
    if exc.field is not None and kind is UnprocessableError:
        return kind(exc.detail, errors=[{"field": exc.field, "reason": exc.detail, "in": "body"}])
    return kind(exc.detail)


async def mapped(call: Callable[[], Awaitable[T]]) -> T:
    """Run a handler; its domain refusal becomes the matching problem."""
    try:
        return await call()
    except errors.FundingError as exc:
        raise to_problem(exc) from None

"""The domain's refusals as the kit's problems (one place for the HTTP mapping)."""

from __future__ import annotations

from campus_service import ConflictError, DomainError, ForbiddenError, NotFoundError, UnprocessableError

from ..domain.errors import TrainersError

_BY_STATUS: dict[int, type[DomainError]] = {
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableError,
}


def as_problem(error: TrainersError) -> DomainError:
    kind = _BY_STATUS.get(error.status, ConflictError)
    if error.field is not None:  # listed like a validation error, where clients look for the field
        return kind(str(error), errors=[{"field": error.field, "reason": str(error), "in": "body"}])
    return kind(str(error))

"""Typed refusals of the funding domain; ``api/errors`` maps them to HTTP in one place."""

from __future__ import annotations


class FundingError(Exception):
    """Base of every refusal: the message says why, for the problem's ``detail``."""

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class EnvelopeNotFoundError(FundingError):
    """The envelope named does not exist."""


class RequestNotFoundError(FundingError):
    """The funding request does not exist."""


class EnvelopeAlreadyOpenedError(FundingError):
    """An envelope with this id exists already."""


class InvalidEnvelopeError(FundingError):
    """The envelope's rules contradict each other (e.g. minimum above maximum)."""


class ProjectCostOutOfBoundsError(FundingError):
    """The project's cost is outside the envelope's bounds."""


class RateAboveMaximumError(FundingError):
    """The requested share of the project's cost is above the envelope's maximum rate."""


class AmountAboveLimitError(FundingError):
    """An amount above what is allowed: granted above requested, disbursed above granted."""


class ProjectNotReadyError(FundingError):
    """The project is unknown to this service yet, or not in the ``design`` stage."""


class InvalidTransitionError(FundingError):
    """The request's status does not allow this step."""


class EnvelopeExhaustedError(FundingError):
    """Not enough is available on the envelope for this grant."""


class ProjectAlreadyFundedError(FundingError):
    """The project has another request open or granted: a project is co-funded through one."""

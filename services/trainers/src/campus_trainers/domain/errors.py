"""The trainers domain's refusals; ``status`` says which HTTP answer each becomes (api/errors.py)."""

from __future__ import annotations

from typing import ClassVar


class TrainersError(Exception):
    """Base of the domain's refusals; a 422 one names the ``field`` of the command it is about."""

    status: ClassVar[int] = 409
    field: ClassVar[str | None] = None


class TrainerNotFoundError(TrainersError):
    status = 404


class NotATrainerError(TrainersError):
    """Only a registered (and not withdrawn) trainer may do this."""

    status = 403


class AlreadyRegisteredError(TrainersError):
    pass


class TrainerWithdrawnError(TrainersError):
    pass


class IdeaNotFoundError(TrainersError):
    status = 404


class IdeaAlreadySharedError(TrainersError):
    pass


class AlreadySupportedError(TrainersError):
    pass


class SupportRequestNotFoundError(TrainersError):
    status = 404


class SupportRequestExistsError(TrainersError):
    pass


class AlreadyResolvedError(TrainersError):
    pass


class DailyLimitExceededError(TrainersError):
    """More than 24 hours logged by one trainer on one day: the request is invalid in itself."""

    status = 422
    field = "minutes"

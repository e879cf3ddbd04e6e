"""The projects domain's refusals (pure); ``campus_projects.api.errors`` maps them to HTTP."""

from __future__ import annotations


class ProjectError(Exception):
    """Base of the projects domain's refusals; ``detail`` says why, for the caller."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ProjectNotFoundError(ProjectError):
    pass


class ProjectAlreadyOpenedError(ProjectError):
    pass


class NotProjectOwnerError(ProjectError):
    pass


class WrongStageError(ProjectError):
    """The step belongs to another stage than the project's current one."""


class StageSkippedError(ProjectError):
    pass


class StageDataMissingError(ProjectError):
    pass


class ProjectEndedError(ProjectError):
    pass


class UnknownReferenceError(ProjectError):
    """A design names a course or a trainer this service does not know (or may no longer use)."""

    def __init__(self, detail: str, field: str) -> None:
        super().__init__(detail)
        self.field = field

"""The catalog's typed errors; ``api.errors`` maps them to HTTP in one place."""

from __future__ import annotations


class CatalogError(Exception):
    """A command the catalog refuses."""


class CourseNotFoundError(CatalogError):
    pass


class SessionNotFoundError(CatalogError):
    pass


class PathNotFoundError(CatalogError):
    pass


class InvalidTransitionError(CatalogError):
    """The aggregate is not in a state where this command applies (HTTP 409)."""


class NotAllowedError(CatalogError):
    """The caller may not do this to this aggregate (HTTP 403)."""


class InvalidCommandError(CatalogError):
    """The command is invalid once merged with the current state (HTTP 422)."""

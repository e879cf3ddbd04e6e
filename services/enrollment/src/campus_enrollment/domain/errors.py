"""The enrollment domain's errors; ``api/errors.py`` maps each family to an HTTP status."""

from __future__ import annotations


class EnrollmentError(Exception):
    """Base of the domain's refusals."""


class EnrollmentNotFoundError(EnrollmentError):
    """No such enrolment (or one the caller may not know of)."""


class AlreadyEnrolledError(EnrollmentError):
    """The agent already holds an enrolment (or a waitlist place, or a completion) there."""


class EnrollmentClosedError(EnrollmentError):
    """The course or the session does not take enrolments (archived, cancelled, not published)."""


class InvalidTransitionError(EnrollmentError):
    """The enrolment is not in a state that allows this (e.g. completing a waitlisted one)."""

"""The token roles of the contract (being a trainer is not a role: it is being registered)."""

from __future__ import annotations

AGENT = "agent"
MANAGER = "manager"
CAMPUS_STAFF = "campus_staff"
FUNDING_COMMITTEE = "funding_committee"
ADMIN = "admin"

ROLES = frozenset({AGENT, MANAGER, CAMPUS_STAFF, FUNDING_COMMITTEE, ADMIN})
STAFF_ROLES = (CAMPUS_STAFF, ADMIN)
"""Roles that see every ministry's data."""

ROLE_PRECEDENCE = (ADMIN, CAMPUS_STAFF, FUNDING_COMMITTEE, MANAGER, AGENT)
"""Most privileged first: the role an event records when the caller has several."""

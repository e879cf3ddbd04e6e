"""The enrollment service's HTTP API: one router per resource under ``/v1``."""

from __future__ import annotations

from fastapi import APIRouter

from .routes import agents, attestations, enrollments, sessions, stats

ROUTERS: list[APIRouter] = [
    enrollments.router,
    attestations.router,
    sessions.router,
    stats.router,
    agents.router,
]

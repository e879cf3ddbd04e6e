"""Wiring: the app from its settings, routers, projections and migrations (nothing at import time)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from campus_service import create_app as create_service_app
from campus_service import load_settings

from . import __version__
from .api import ROUTERS
from .api.errors import install as install_errors
from .config import Settings
from .projections import projections
from .rosters import Rosters

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    rosters = Rosters()  # shared by the routes and the catalogue consumer: one lock per session
    app = create_service_app(
        settings or load_settings(Settings),
        title="Campus enrollment",
        description="Agents' enrolments, seats and waitlists, completions, attestations, ratings.",
        version=__version__,
        routers=ROUTERS,
        projections=projections(rosters),
        migrations_folder=MIGRATIONS,
    )
    app.state.rosters = rosters
    install_errors(app)
    return app

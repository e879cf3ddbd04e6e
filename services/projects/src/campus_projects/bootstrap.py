"""Wiring: the app from its settings, routers, projections and migrations (nothing at import time)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from campus_service import create_app as create_service_app
from campus_service import load_settings

from . import __version__
from .api.routes import ROUTERS
from .config import Settings
from .projections import PROJECTIONS

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or load_settings(Settings),
        title="Campus projects",
        description="Training projects and their pipeline (needs → design → implementation → evaluation).",
        version=__version__,
        routers=ROUTERS,
        projections=PROJECTIONS,
        migrations_folder=MIGRATIONS,
    )

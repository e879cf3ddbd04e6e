"""Wiring: the app from its settings, routers, projections and migrations (nothing at import time)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from campus_service import create_app as create_service_app
from campus_service import load_settings

from . import __version__
from .api import ROUTERS
from .config import Settings
from .projections import PROJECTIONS
from .queries import SearchCache

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    app = create_service_app(
        settings or load_settings(Settings),
        title="Campus catalog",
        description="Courses, sessions, learning paths and the public catalogue with its search.",
        version=__version__,
        routers=ROUTERS,
        projections=PROJECTIONS,
        migrations_folder=MIGRATIONS,
    )
    app.state.search_cache = SearchCache()
    return app

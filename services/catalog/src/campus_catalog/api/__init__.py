"""The catalog service's HTTP API: one router per resource under ``/v1``."""

from __future__ import annotations

from fastapi import APIRouter

from .routes import courses, paths, sessions, themes

ROUTERS: list[APIRouter] = [courses.router, sessions.router, paths.router, themes.router]

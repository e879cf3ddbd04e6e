"""The projects service's HTTP API: one router per resource under ``/v1``."""

from __future__ import annotations

from fastapi import APIRouter

from .routes import pipeline, projects

ROUTERS: list[APIRouter] = [projects.router, pipeline.router]

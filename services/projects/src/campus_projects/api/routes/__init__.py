"""One router per resource."""

from __future__ import annotations

from fastapi import APIRouter

from . import pipeline, projects

ROUTERS: list[APIRouter] = [projects.router, pipeline.router]

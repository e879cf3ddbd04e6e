"""The trainers service's HTTP API: one router per resource under ``/v1``."""

from __future__ import annotations

from fastapi import APIRouter

from .routes import activities, erasure, ideas, support, trainers

ROUTERS: list[APIRouter] = [trainers.router, ideas.router, support.router, activities.router, erasure.router]

"""The funding service's HTTP API: one router per resource under ``/v1``."""

from __future__ import annotations

from fastapi import APIRouter

from .routes import envelopes, requests

ROUTERS: list[APIRouter] = [envelopes.router, requests.router]

"""The webhooks service's HTTP API under ``/v1``."""

from __future__ import annotations

from fastapi import APIRouter

from .routes import deliveries, webhooks

ROUTERS: list[APIRouter] = [webhooks.router, deliveries.router]

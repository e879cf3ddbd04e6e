"""The enrollment service's HTTP API: one router per resource under ``/v1``."""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []

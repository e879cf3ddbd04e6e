"""Running a service under uvicorn: the same way for all five (``python -m campus_<name>``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from .logging import configure_logging
from .settings import ServiceSettings, load_settings

S = TypeVar("S", bound=ServiceSettings)


def run_service(settings_class: type[S], create_app: Callable[[S], FastAPI]) -> None:
    """Load and check the settings, configure logging, serve on ``settings.host:settings.port``."""
    settings = load_settings(settings_class)
    configure_logging(json=bool(settings.log_json), level=settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep the structlog configuration
        access_log=False,  # the kit's middleware logs each request with its correlation id
        proxy_headers=True,
    )

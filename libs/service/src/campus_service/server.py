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
        # Longer than the idle timeout of the clients and load balancers in front (httpx 5 s, a
        # typical load balancer 60 s): the client closes an idle connection, not the server. With
        # uvicorn's 5 s default, a request sent on a connection the server was closing at that
        # instant failed as a transport error (tests/reliability/test_load.py saw one).
        timeout_keep_alive=settings.keep_alive_seconds,
    )

"""The service under uvicorn on ``settings.port``: ``python -m campus_webhooks``."""

from __future__ import annotations

from campus_service.server import run_service

from .bootstrap import create_app
from .config import Settings


def main() -> None:
    run_service(Settings, create_app)


if __name__ == "__main__":
    main()

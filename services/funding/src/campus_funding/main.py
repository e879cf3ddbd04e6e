"""The service under uvicorn on ``settings.port``: ``python -m campus_funding``."""

from __future__ import annotations

import uvicorn

from campus_service import configure_logging, load_settings

from .bootstrap import create_app
from .config import Settings


def main() -> None:
    settings = load_settings(Settings)
    configure_logging(json=bool(settings.log_json), level=settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep the structlog configuration
        access_log=False,  # the kit's middleware logs each request with its correlation id
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()

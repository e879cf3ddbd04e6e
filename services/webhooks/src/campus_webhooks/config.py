"""The webhooks service's settings (``CAMPUS_*``; ``CAMPUS_WEBHOOKS_DATABASE_URL`` first).

The delivery knobs read ``CAMPUS_WEBHOOKS_<NAME>`` (e.g. ``CAMPUS_WEBHOOKS_RETRY_BASE_SECONDS``).
"""

from __future__ import annotations

from pydantic import Field

from campus_service import ServiceSettings, dev_database_url, per_service

SERVICE = "webhooks"


def _knob(name: str, default: float) -> float:
    return Field(default=default, gt=0, validation_alias=f"CAMPUS_WEBHOOKS_{name.upper()}")


class Settings(ServiceSettings):
    service_name: str = SERVICE
    port: int = per_service(SERVICE, "port", 8106)
    database_url: str = per_service(SERVICE, "database_url", dev_database_url(SERVICE))

    # A failed attempt n waits base * 2**(n-1) seconds (at most retry_max), times a jitter in [0.5, 1].
    retry_base_seconds: float = _knob("retry_base_seconds", 10.0)
    retry_max_seconds: float = _knob("retry_max_seconds", 3600.0)
    # Given up (state `failed`, retryable by hand) after this many attempts or this age, whichever first.
    max_attempts: int = Field(default=20, ge=1, validation_alias="CAMPUS_WEBHOOKS_MAX_ATTEMPTS")
    max_age_seconds: float = _knob("max_age_seconds", 3 * 24 * 3600.0)
    delivery_timeout_seconds: float = _knob("delivery_timeout_seconds", 10.0)
    poll_seconds: float = _knob("poll_seconds", 1.0)
    # Endpoints delivered to at the same time (one request in flight per endpoint, always).
    concurrency: int = Field(default=16, ge=1, validation_alias="CAMPUS_WEBHOOKS_CONCURRENCY")
    # A rotated secret keeps signing (a second v1=) for this long, so receivers can switch over.
    rotation_overlap_seconds: float = _knob("rotation_overlap_seconds", 24 * 3600.0)

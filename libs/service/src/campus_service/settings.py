"""Settings shared by every service: one pydantic-settings object, ``CAMPUS_`` prefix, checked at start.

A service subclasses ``ServiceSettings`` and gives its own name, port and database variable::

    class Settings(ServiceSettings):
        service_name: str = "funding"
        port: int = per_service("funding", "port", 8104)
        database_url: str = per_service("funding", "database_url", dev_database_url("funding"))

``CAMPUS_FUNDING_DATABASE_URL`` then wins over ``CAMPUS_DATABASE_URL``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDERS = frozenset(
    {"", "change-me", "changeme", "change_me", "dev", "development", "secret", "todo", "xxx"}
)


class SettingsError(ValueError):
    """The configuration cannot run this service (a missing or placeholder secret outside development)."""


def per_service(service: str, name: str, default: Any) -> Any:
    """A field read from ``CAMPUS_<SERVICE>_<NAME>``, else ``CAMPUS_<NAME>``, else ``default``."""
    return Field(
        default=default,
        validation_alias=AliasChoices(f"CAMPUS_{service.upper()}_{name.upper()}", f"CAMPUS_{name.upper()}"),
    )


def dev_database_url(service: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/campus_{service}"


def is_placeholder(value: str | None) -> bool:
    return value is None or value.strip().lower() in PLACEHOLDERS


class ServiceSettings(BaseSettings):
    """What every Campus service reads from its environment (``CAMPUS_*``)."""

    model_config = SettingsConfigDict(env_prefix="CAMPUS_", extra="ignore", populate_by_name=True)

    env: Literal["development", "production"] = "development"
    service_name: str = "campus"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, validation_alias=AliasChoices("CAMPUS_PORT"))
    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/campus",
        validation_alias=AliasChoices("CAMPUS_DATABASE_URL"),
    )
    db_pool_max_size: int = Field(default=10, ge=1)
    keep_alive_seconds: int = Field(default=75, ge=1)  # idle HTTP connections (see server.py)
    # The event store's own pool (generic plans, see campus_events.store.postgres.create_pool):
    # concurrent single-event appends share one statement, so a few connections are plenty.
    store_pool_max_size: int = Field(default=3, ge=1)
    # Python's young-generation GC threshold in a service process (0: Python's own, 700): see
    # server.tune_gc.
    gc_young_threshold: int = Field(default=50_000, ge=0)
    nats_url: str = "nats://127.0.0.1:4222"
    jwt_public_key: str | None = None
    jwt_public_key_file: Path | None = None
    jwks_url: str | None = None
    jwt_issuer: str = "campus-dev"
    jwt_audience: str = "campus"
    dev_keys_dir: Path = Path(".campus/keys")
    log_json: bool | None = None
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _check(self) -> ServiceSettings:
        if self.log_json is None:
            self.log_json = self.env == "production"
        if is_placeholder(self.jwt_public_key):
            self.jwt_public_key = None
        elif self.jwt_public_key is not None:
            self.jwt_public_key = self.jwt_public_key.replace("\\n", "\n").strip()
            if not self.jwt_public_key.startswith("-----BEGIN"):
                raise SettingsError("CAMPUS_JWT_PUBLIC_KEY is not a PEM public key")
        if is_placeholder(self.jwks_url):
            self.jwks_url = None
        if self.jwt_public_key_file is not None and is_placeholder(str(self.jwt_public_key_file)):
            self.jwt_public_key_file = None
        if self.env != "development":
            self._check_production()
        return self

    def _check_production(self) -> None:
        if not (self.jwt_public_key or self.jwt_public_key_file or self.jwks_url):
            raise SettingsError(
                f"{self.service_name}: CAMPUS_ENV={self.env} needs a real token verification key: set"
                " CAMPUS_JWT_PUBLIC_KEY (PEM), CAMPUS_JWT_PUBLIC_KEY_FILE or CAMPUS_JWKS_URL"
            )
        if self.jwt_public_key_file is not None and not self.jwt_public_key_file.is_file():
            raise SettingsError(f"CAMPUS_JWT_PUBLIC_KEY_FILE={self.jwt_public_key_file} does not exist")
        if self.jwks_url is not None and not self.jwks_url.startswith(("https://", "http://")):
            raise SettingsError(f"CAMPUS_JWKS_URL={self.jwks_url!r} is not an http(s) URL")

    @property
    def development(self) -> bool:
        return self.env == "development"


S = TypeVar("S", bound=ServiceSettings)


def load_settings(cls: type[S], **overrides: Any) -> S:
    """``cls(**overrides)``, or stop the process with a readable message if the configuration is unusable."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        reasons = "; ".join(str(e.get("msg", e)).removeprefix("Value error, ") for e in exc.errors())
        raise SystemExit(f"campus: invalid configuration: {reasons}") from None

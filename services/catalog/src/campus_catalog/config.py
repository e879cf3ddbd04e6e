"""The catalog service's settings (``CAMPUS_*``; ``CAMPUS_CATALOG_DATABASE_URL`` first)."""

from __future__ import annotations

from campus_service import ServiceSettings, dev_database_url, per_service

SERVICE = "catalog"


class Settings(ServiceSettings):
    service_name: str = SERVICE
    port: int = per_service(SERVICE, "port", 8101)
    database_url: str = per_service(SERVICE, "database_url", dev_database_url(SERVICE))

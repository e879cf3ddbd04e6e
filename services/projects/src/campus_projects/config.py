"""The projects service's settings (``CAMPUS_*``; ``CAMPUS_PROJECTS_DATABASE_URL`` first)."""

from __future__ import annotations

from campus_service import ServiceSettings, dev_database_url, per_service

SERVICE = "projects"


class Settings(ServiceSettings):
    service_name: str = SERVICE
    port: int = per_service(SERVICE, "port", 8103)
    database_url: str = per_service(SERVICE, "database_url", dev_database_url(SERVICE))

"""The testcontainers backend: the same fixtures against container images, where Docker runs.

Selected with ``CAMPUS_TEST_BACKEND=testcontainers``; needs ``pip install -c constraints.txt testcontainers``
and a Docker daemon (neither is on our build machines: this path gets static checks there).
"""

from __future__ import annotations

from typing import Any

POSTGRES_IMAGE = "postgres:18-alpine"
NATS_IMAGE = "nats:2.11-alpine"


class ContainerPostgres:
    """PostgreSQL in a container, with the EmbeddedPostgres interface the fixtures use."""

    def __init__(self, image: str = POSTGRES_IMAGE) -> None:
        from testcontainers.postgres import PostgresContainer

        self.container: Any = PostgresContainer(image, username="postgres", password="postgres")

    def start(self) -> None:
        self.container.start()

    def url(self, database: str = "postgres") -> str:
        host = self.container.get_container_host_ip()
        port = self.container.get_exposed_port(5432)
        return f"postgresql://postgres:postgres@{host}:{port}/{database}"

    def stop(self) -> None:
        self.container.stop()

    def kill(self) -> None:
        self.container.get_wrapped_container().kill()


class ContainerNats:
    """NATS with JetStream in a container, with the EmbeddedNats interface the fixtures use."""

    def __init__(self, image: str = NATS_IMAGE) -> None:
        from testcontainers.core.container import DockerContainer

        self.container: Any = DockerContainer(image).with_command("-js").with_exposed_ports(4222)

    def start(self) -> None:
        from testcontainers.core.waiting_utils import wait_for_logs

        self.container.start()
        wait_for_logs(self.container, "Server is ready")

    @property
    def url(self) -> str:
        host = self.container.get_container_host_ip()
        return f"nats://{host}:{self.container.get_exposed_port(4222)}"

    def stop(self) -> None:
        self.container.stop()

    def kill(self) -> None:
        self.container.get_wrapped_container().kill()

"""Free ports for test stacks: never one handed out already and not listened on yet."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from campus_devstack import servers
from campus_devstack.stack import SERVICES, Stack


class Reused:
    """The system's port 0 answers, as it may give them: the same port twice, then another."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports

    def __call__(self) -> Reused:
        return self

    def __enter__(self) -> Reused:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def bind(self, address: tuple[str, int]) -> None:
        self.port = self.ports.pop(0)

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


def test_a_free_port_is_none_of_those_to_avoid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(servers.socket, "socket", Reused([51649, 51649, 51650]))
    assert servers.free_port(avoid={51649}) == 51650


def test_a_stack_on_free_ports_gives_each_server_its_own(tmp_path: Path) -> None:
    stack = Stack.on_free_ports(tmp_path, SERVICES)
    ports = [*stack.ports.values(), stack.nats_port]
    assert len(set(ports)) == len(ports) == len(SERVICES) + 1
    for _ in range(200):  # what PostgreSQL or a replica gets next is none of them
        assert servers.free_port(avoid=stack._ports_taken()) not in ports
    with socket.socket() as sock:  # and the ports are really free now
        sock.bind(("127.0.0.1", ports[0]))


def test_a_service_is_ready_only_if_it_answers_itself() -> None:
    """A port taken by another service (its readiness passed for the one that could not listen)."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from campus_devstack.stack import ready_as

    class Projects(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"status": "ready", "service": "projects", "checks": {}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Projects)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/health/ready"
        assert ready_as(url, "projects")
        assert not ready_as(url, "funding")
    finally:
        server.shutdown()
        server.server_close()
    assert not ready_as(url, "projects")  # nothing listens any more

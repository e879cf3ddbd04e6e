"""A webhook receiver for tests: a real HTTP/1.1 server on a free port of 127.0.0.1.

It checks each request's ``Campus-Signature`` (400 if it does not verify), fails the first
``fail_first`` verified requests with ``fail_status``, then accepts (204), counting every event
by its ``Campus-Event-Id`` so that duplicates show. ``hold``: while this event is clear,
requests wait (a test can stop a dispatcher mid-request).

    async with Receiver(secret, fail_first=3) as receiver:
        ...register receiver.url...
        assert receiver.accepted_ids == [...]
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .signature import HEADER, verify

REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 500: "Internal Server Error", 503: "Unavailable"}


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def event_id(self) -> str | None:
        return self.headers.get("campus-event-id")

    @property
    def cloudevent(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class Receiver:
    secret: str
    fail_first: int = 0
    fail_status: int = 500
    hold: asyncio.Event | None = None
    verifier: Callable[[bytes, str, str], bool] = verify
    requests: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.base_events.Server | None = None
    _failed: int = 0

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/campus-events"

    @property
    def accepted(self) -> list[Received]:
        return [r for r in self.requests if 200 <= r.status < 300]

    @property
    def accepted_ids(self) -> list[str]:
        """Event ids in the order they were accepted (a duplicate appears twice)."""
        return [r.event_id or "" for r in self.accepted]

    @property
    def counts(self) -> Counter[str]:
        return Counter(self.accepted_ids)

    @property
    def rejected(self) -> list[Received]:
        return [r for r in self.requests if r.status == 400]

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def decide(self, headers: dict[str, str], body: bytes) -> int:
        if not self.verifier(body, headers.get(HEADER.lower(), ""), self.secret):
            return 400
        if self._failed < self.fail_first:
            self._failed += 1
            return self.fail_status
        return 204

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                headers: dict[str, str] = {}
                while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = header.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if self.hold is not None:
                    self.arrived.set()
                    await self.hold.wait()
                status = self.decide(headers, body)
                self.requests.append(Received(headers, body, status))
                self.arrived.set()
                reason = REASONS.get(status, "Status")
                text = b"" if status == 204 else reason.encode()
                writer.write(
                    f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(text)}\r\n"
                    "Content-Type: text/plain\r\n\r\n".encode()
                    + text
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

"""An in-memory event store for unit tests; it passes the same contract suite as PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from ..envelope import Envelope
from .base import AppendResult, ConcurrencyError, Expected, check_streams


class InMemoryEventStore:
    def __init__(self) -> None:
        self._streams: dict[str, list[Envelope]] = {}
        self._all: list[Envelope] = []
        self._keys: dict[str, Any] = {}
        self._lock = asyncio.Lock()

    async def append(
        self,
        events: Sequence[Envelope],
        expected: Expected,
        *,
        idempotency_key: str | None = None,
        result: Any = None,
    ) -> AppendResult:
        streams = check_streams(events, expected)
        async with self._lock:
            if idempotency_key is not None and idempotency_key in self._keys:
                return AppendResult(replayed=True, result=self._keys[idempotency_key])
            for stream in streams:
                want, have = expected[stream], len(self._streams.get(stream, ()))
                if want == 0 and stream in self._streams:
                    raise ConcurrencyError(stream, f"stream {stream} already exists")
                if want not in (None, 0) and want != have:
                    raise ConcurrencyError(stream, f"stream {stream} is not at version {want}")
            recorded = []
            for event in events:
                history = self._streams.setdefault(event.stream, [])
                stored = event.model_copy(
                    update={"stream_version": len(history) + 1, "position": len(self._all) + 1}
                )
                history.append(stored)
                self._all.append(stored)
                recorded.append(stored)
            for stream_name in streams:
                self._streams.setdefault(stream_name, [])
            if idempotency_key is not None:
                self._keys[idempotency_key] = result
        versions = {s: len(self._streams[s]) for s in streams}
        return AppendResult(events=tuple(recorded), result=result, versions=versions)

    async def read_stream(self, stream: str, from_version: int = 1) -> list[Envelope]:
        return [e for e in self._streams.get(stream, ()) if e.stream_version >= from_version]

    async def stream_version(self, stream: str) -> int:
        return len(self._streams.get(stream, ()))

    async def idempotent_result(self, key: str) -> tuple[bool, Any]:
        return (key in self._keys, self._keys.get(key))

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[Envelope]:
        return self._all[after_position : after_position + limit]

    async def streams_with(self, event_type: str, field: str, value: str) -> list[str]:
        found = (e.stream for e in self._all if e.type == event_type and e.data.get(field) == value)
        return list(dict.fromkeys(found))

"""The event store's interface, shared by the PostgreSQL and in-memory implementations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..envelope import Envelope


class ConcurrencyError(Exception):
    """A stream was not at the expected version: someone else appended first."""

    def __init__(self, stream: str, message: str | None = None) -> None:
        super().__init__(message or f"stream {stream} changed concurrently")
        self.stream = stream


@dataclass(frozen=True)
class AppendResult:
    """What an append did: the recorded events, or, for a replayed idempotency key, the first result."""

    events: tuple[Envelope, ...] = ()
    replayed: bool = False
    result: Any = None
    versions: Mapping[str, int] = field(default_factory=dict)


Expected = Mapping[str, int | None]
"""Expected version per stream: ``None`` any, ``0`` must not exist, ``N`` must be at N."""


class EventStore(Protocol):
    async def append(
        self,
        events: Sequence[Envelope],
        expected: Expected,
        *,
        idempotency_key: str | None = None,
        result: Any = None,
    ) -> AppendResult:
        """Append ``events`` atomically; every stream they name must appear in ``expected``.

        Streams in ``expected`` without events are checked too. A stale stream raises
        ``ConcurrencyError`` and nothing is written. If ``idempotency_key`` was used before,
        nothing is written and ``AppendResult(replayed=True, result=<first result>)`` returns.
        """
        ...

    async def read_stream(self, stream: str, from_version: int = 1) -> list[Envelope]: ...

    async def stream_version(self, stream: str) -> int: ...

    async def idempotent_result(self, key: str) -> tuple[bool, Any]:
        """``(True, result)`` if ``key`` was used by an earlier append, else ``(False, None)``."""
        ...

    async def read_all(self, after_position: int = 0, limit: int = 1000) -> list[Envelope]: ...

    async def streams_with(self, event_type: str, field: str, value: str) -> list[str]:
        """The streams holding an event of ``event_type`` whose ``data[field]`` is the string
        ``value`` (an id, say), in the order of those events: a lookup on the log itself, so it sees every committed
        append (a projection may lag behind). For rules across aggregates, e.g. a project's funding
        requests."""
        ...


def check_streams(events: Sequence[Envelope], expected: Expected) -> list[str]:
    """The streams of ``expected`` in a stable order; every event's stream must be among them."""
    missing = {e.stream for e in events} - set(expected)
    if missing:
        raise ValueError(f"no expected version given for {sorted(missing)}")
    return list(expected)

"""Publishing a batch of messages to JetStream and counting its PubAcks.

JetStream stores a message published with a reply subject and answers on that subject with a
PubAck (``{"stream": …, "seq": …}``, ``"duplicate": true`` when its ``Nats-Msg-Id`` was seen in
the dedupe window) or an error (``{"error": {…}}``; a ``503`` status when no stream listens).

nats-py's ``publish_async`` makes a future per message, with a done callback, a semaphore and a
random token; its reply handler resolves them one event-loop turn each. The relay needs less: which
messages of a batch were stored, once all have answered or a deadline passed. ``BatchPublisher``
publishes with plain ``nc.publish`` and reply subjects ``<inbox>.<batch>.<index>``, and one
subscription marks the answers in the batch's list: about twice ``publish_async``'s throughput
(``bench/pipeline.py``), with the same outcome per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Sequence

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

Message = tuple[str, bytes, dict[str, str]]  # subject, payload, headers

WAITING, STORED, REFUSED = 0, 1, 2
MAX_BATCHES = 64  # batches whose answers are awaited; a relay has two in flight


class PubAcks:
    """The answers to one published batch, by index: ``stored[i]`` once JetStream holds message i."""

    __slots__ = ("_answered", "_done", "_forget", "error", "sealed", "sent", "state")

    def __init__(self, size: int, forget: Callable[[], object]) -> None:
        self.state = [WAITING] * size
        self.sent = 0  # messages handed to the connection, a prefix of the batch
        self.sealed = False  # publishing has ended: ``sent`` is final
        self.error: str | None = None  # why publishing stopped early, or the last refusal
        self._answered = 0
        self._done = asyncio.Event()
        self._forget = forget

    @property
    def stored(self) -> list[bool]:
        return [state == STORED for state in self.state]

    def answer(self, index: int, error: str | None) -> None:
        if index >= len(self.state) or self.state[index] != WAITING:
            return  # not ours, or answered already
        self.state[index] = REFUSED if error else STORED
        if error:
            self.error = error
        self._answered += 1
        if self.sealed and self._answered >= self.sent:
            self._done.set()

    def seal(self) -> None:
        self.sealed = True
        if self._answered >= self.sent:
            self._done.set()

    async def wait(self, seconds: float) -> list[bool]:
        """Until every message sent has its answer, at most ``seconds``: which were stored.
        An answer that comes later is ignored (the message counts as not stored)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._done.wait()
        self._forget()
        return self.stored


class BatchPublisher:
    """Publishes batches on one NATS connection; ``await publisher.publish(messages)`` → ``PubAcks``."""

    def __init__(self, nc: NATS) -> None:
        self.nc = nc
        self._prefix = ""
        self._batches: dict[str, PubAcks] = {}
        self._next = 0

    async def publish(self, messages: Sequence[Message]) -> PubAcks:
        """Publish in order, without waiting for the answers. Publishing stops at the first message
        the connection refuses (closed, or its reconnect buffer full): ``acks.sent`` says how far
        it went, ``acks.error`` why."""
        self._next += 1
        key = str(self._next)
        acks = PubAcks(len(messages), lambda: self._batches.pop(key, None))
        self._batches[key] = acks
        while len(self._batches) > MAX_BATCHES:  # never waited for (the caller was cancelled)
            del self._batches[next(iter(self._batches))]  # the oldest: its answers are ignored
        try:
            if not self._prefix:
                prefix = f"{self.nc.new_inbox()}."
                await self.nc.subscribe(f"{prefix}>", cb=self._on_answer)
                self._prefix = prefix
            reply = f"{self._prefix}{key}."
            publish = self.nc.publish
            for index, (subject, payload, headers) in enumerate(messages):
                await publish(subject, payload, reply=f"{reply}{index}", headers=headers)
                acks.sent += 1
        except Exception as exc:  # noqa: BLE001 - the caller retries what was not stored
            acks.error = repr(exc)
        acks.seal()
        return acks

    async def _on_answer(self, msg: Msg) -> None:
        key, _, index = msg.subject[len(self._prefix) :].partition(".")
        acks = self._batches.get(key)
        if acks is None or not index.isdigit():
            return  # a batch already settled: its unanswered messages are published again
        acks.answer(int(index), refusal(msg))


def refusal(msg: Msg) -> str | None:
    """Why JetStream did not store a published message, from its answer; None for a PubAck."""
    if msg.headers and (status := msg.headers.get("Status")):
        return f"status {status} {msg.headers.get('Description', '')}".strip()
    if b'"error"' in msg.data:  # cheap test first: a PubAck is tiny and never says "error"
        with contextlib.suppress(ValueError):
            answer = json.loads(msg.data)
            if isinstance(answer, dict) and "error" in answer:
                return f"JetStream refused: {answer['error']}"
    if not msg.data:
        return "empty answer"
    return None

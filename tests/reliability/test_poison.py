"""Poison and hostile messages on every stream: invalid JSON, an unknown event type, a future
schema version, an oversized message. Every projection consumer of the stream dead-letters each
one with the reason, keeps going (the load that follows is projected everywhere), and
`campus status` shows the dead letters.

Short form: one of each per consumer filter of each stream; soak: 50 of each."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections import defaultdict

import httpx
import pytest

from campus_events import bus
from campus_events.contracts.samples import sample_envelope, samples

from .harness import (
    CONTEXTS,
    Load,
    Tokens,
    check_accepted_commands_stored_once,
    fetch,
    report,
    running_stack,
    store_events,
    unexpected,
    wait_converged,
)

pytestmark = pytest.mark.e2e
CAMPUS = os.path.join(os.path.dirname(sys.executable), "campus")
OVERSIZED = 600 * 1024  # above the consumers' 512 KiB limit, below NATS's 1 MiB max payload


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("poison")) as running:
        yield running


def hostile_messages(context: str) -> dict[str, bytes]:
    """The four kinds, as bytes; the last three are well-formed CloudEvents of this context."""
    envelope = next(sample_envelope(s) for m, s in samples().items() if s.event.context == context)
    ce = envelope.to_cloudevent()
    unknown = {**ce, "id": str(uuid.uuid4()), "type": f"fr.gouv.campus.{context}.NoSuchEvent.v1"}
    future = {**ce, "id": str(uuid.uuid4()), "type": ce["type"].rsplit(".v", 1)[0] + ".v99"}
    oversized = {**ce, "id": str(uuid.uuid4()), "data": {**ce["data"], "padding": "x" * OVERSIZED}}
    return {
        "invalid-json": b'{"specversion": "1.0", "id": ',
        "unknown-type": json.dumps(unknown).encode(),
        "future-version": json.dumps(future).encode(),
        "oversized": json.dumps(oversized).encode(),
    }


REASONS = {  # what the dead letter's error must say for each kind
    "invalid-json": "undecodable",
    "unknown-type": "NoSuchEvent",
    "future-version": "99",
    "oversized": "exceeds",
}


async def publish_poison(stack, copies: int) -> dict[str, dict[str, str]]:
    """For every durable consumer: the hostile messages it must dead-letter (Nats-Msg-Id → kind)."""
    nc = await bus.connect(stack.operator_nats_url(), name="reliability-poison")
    expected: dict[str, dict[str, str]] = defaultdict(dict)
    try:
        js = nc.jetstream()
        for context in CONTEXTS:
            stream = f"CAMPUS_{context.upper()}"
            consumers = [  # the five services' projections (another service's are not checked here)
                c
                for c in await js.consumers_info(stream)
                if c.config.durable_name and c.name.split("-", 1)[0] in CONTEXTS
            ]
            subjects = {
                s.replace(">", "poison.Hostile").replace("*", "x")
                for c in consumers
                for s in (c.config.filter_subjects or [c.config.filter_subject])
            }
            for subject in sorted(subjects):
                for _ in range(copies):
                    for kind, payload in hostile_messages(context).items():
                        msg_id = f"poison-{uuid.uuid4()}"
                        ack = await js.publish(
                            subject, payload, stream=stream, headers={"Nats-Msg-Id": msg_id}
                        )
                        for consumer in consumers:
                            filters = consumer.config.filter_subjects or [consumer.config.filter_subject]
                            if any(matches(f, subject) for f in filters):
                                expected[consumer.name][str(ack.seq)] = kind
    finally:
        await nc.close()
    return expected


def matches(pattern: str, subject: str) -> bool:
    p, s = pattern.split("."), subject.split(".")
    for i, token in enumerate(p):
        if token == ">":
            return len(s) > i
        if i >= len(s) or (token != "*" and token != s[i]):
            return False
    return len(p) == len(s)


async def dead_letters(stack) -> list:
    """Every service's dead letters (consumer, stream_seq)."""
    return [
        row
        for service in CONTEXTS
        for row in await fetch(stack, service, "SELECT consumer, stream_seq FROM dead_letters")
    ]


async def poison_then_load(stack, copies: int, load_seconds: float) -> dict:
    # The stack is shared by this module's tests: what an earlier test dead-lettered is not this one's.
    earlier = {(row["consumer"], str(row["stream_seq"])) for row in await dead_letters(stack)}
    expected = await publish_poison(stack, copies)
    assert expected, "no durable consumer found on the streams"
    load = Load(stack, Tokens(stack))
    async with httpx.AsyncClient(timeout=15) as http:
        await load.setup(http)  # waits for the enrollment service to know new sessions: it kept going
    await load.run(load_seconds)
    await wait_converged(stack, within=30)  # every consumer acked its stream's end, past the poison

    owner = {}  # consumer → service (its dead letters are in that service's database)
    for service in CONTEXTS:
        for row in await fetch(stack, service, "SELECT consumer, stream_seq, error FROM dead_letters"):
            owner[row["consumer"]] = service
            if (row["consumer"], str(row["stream_seq"])) in earlier:
                continue
            kind = expected.get(row["consumer"], {}).get(str(row["stream_seq"]))
            assert kind is not None, f"{service}: an unexpected dead letter {dict(row)}"
            assert REASONS[kind] in row["error"], (kind, row["error"])
    dead = defaultdict(set)
    for row in await dead_letters(stack):
        if (row["consumer"], str(row["stream_seq"])) not in earlier:
            dead[row["consumer"]].add(str(row["stream_seq"]))
    for consumer, messages in expected.items():
        assert dead[consumer] == set(messages), (
            f"{consumer}: dead letters {dead[consumer]} != {set(messages)}"
        )

    events = {service: await store_events(stack, service) for service in CONTEXTS}
    accepted = check_accepted_commands_stored_once(load, events)
    assert not unexpected(load), unexpected(load)

    env = {**os.environ, "CAMPUS_HOME": str(stack.root)}
    done = await asyncio.to_thread(
        subprocess.run, [CAMPUS, "status", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    status = json.loads(done.stdout)
    shown = {
        name: sum(v for k, v in entry.get("metrics", {}).items() if k.startswith("campus_dead_letters"))
        for name, entry in status["services"].items()
    }
    for service in set(owner.values()):
        stored = len(await fetch(stack, service, "SELECT id FROM dead_letters"))
        assert shown.get(service) == stored, (service, shown, stored)
    return {
        "hostile_published": sum(len(m) for m in expected.values()),
        "dead_letters": sum(len(d) for d in dead.values()),
        "consumers": len(expected),
        "accepted_after": accepted,
        "status_dead_letters": shown,
    }


async def test_hostile_messages_are_dead_lettered_and_consumers_keep_going(stack):
    figures = await poison_then_load(stack, copies=1, load_seconds=2)
    report("poison (short)", figures)


@pytest.mark.soak
@pytest.mark.timeout(1200)  # the full forms last minutes: not the suite's 300 s per test
async def test_poison_soak(stack):
    figures = await poison_then_load(stack, copies=50, load_seconds=30)
    report("poison (soak)", figures)

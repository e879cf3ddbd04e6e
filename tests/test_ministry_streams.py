"""What a ministry sees on the streams, through its own read-only NATS credentials and the
documented example consumer (examples/ministry_consumer.py)."""

from __future__ import annotations

import asyncio
import importlib.util
import uuid
from pathlib import Path

import nats
import pytest
from nats.js.api import ConsumerConfig

from campus_devstack.natsconf import OPERATOR, password_for, write_server_config
from campus_devstack.servers import EmbeddedNats, free_port
from campus_events.contracts.funding import EnvelopeOpened, FundingRequested
from campus_events.contracts.samples import samples
from campus_events.envelope import envelope_for
from campus_events.streams import ensure_streams

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ministry_consumer.py"
spec = importlib.util.spec_from_file_location("ministry_consumer", EXAMPLE)
assert spec and spec.loader
example = importlib.util.module_from_spec(spec)
spec.loader.exec_module(example)


@pytest.fixture
def secured_nats(tmp_path):
    config = write_server_config(tmp_path / "nats.conf", tmp_path)
    server = EmbeddedNats(tmp_path / "nats", free_port(), config=config)
    server.start()
    try:
        yield server, tmp_path
    finally:
        server.stop()


async def connect_as(server, root, user):
    return await nats.connect(
        server.url, user=user, password=password_for(root, user), max_reconnect_attempts=2
    )


def funding_events(n: int) -> list:
    """Public envelope events and requests of two ministries, interleaved."""
    examples = samples()
    events = []
    for i in range(n):
        if i % 3 == 0:
            events.append(envelope_for(examples[EnvelopeOpened].event, uuid.uuid4()))
        else:
            ministry = "mefsin" if i % 3 == 1 else "sgpi"
            events.append(envelope_for(examples[FundingRequested].event, uuid.uuid4(), ministry=ministry))
    return events


async def publish(nc, events) -> None:
    js = nc.jetstream()
    for e in events:
        await js.publish(e.subject, e.to_json(), headers={"Nats-Msg-Id": str(e.id)})


async def test_a_late_consumer_replays_everything_it_may_see_in_order_then_follows(secured_nats):
    server, root = secured_nats
    operator = await connect_as(server, root, OPERATOR)
    await ensure_streams(operator.jetstream(), ("funding",))
    history = funding_events(1000)
    await publish(operator, history)

    received: list[dict] = []

    async def handle(event):
        received.append(event)

    stop = asyncio.Event()
    user = "ministry-mefsin"
    task = asyncio.create_task(
        example.consume(
            server.url,
            user,
            password_for(root, user),
            "mefsin",
            "CAMPUS_FUNDING",
            "hr-sync",
            handle,
            stop=stop,
        )
    )
    visible = [e for e in history if e.ministry in ("public", "mefsin")]
    try:
        for _ in range(200):
            if len(received) >= len(visible):
                break
            await asyncio.sleep(0.05)
        assert {r["id"] for r in received} == {str(e.id) for e in visible}
        assert all(r["campusministry"] in ("public", "mefsin") for r in received)
        for scope in ("public", "mefsin"):  # each consumer delivers in stream order
            got = [r["id"] for r in received if r["campusministry"] == scope]
            assert got == [str(e.id) for e in visible if e.ministry == scope]

        later = funding_events(30)
        await publish(operator, later)
        expected_total = len(visible) + sum(e.ministry in ("public", "mefsin") for e in later)
        for _ in range(100):
            if len(received) >= expected_total:
                break
            await asyncio.sleep(0.05)
        assert len(received) == expected_total
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await operator.close()


async def test_a_ministry_cannot_widen_its_filter_read_another_ministry_or_publish(secured_nats):
    server, root = secured_nats
    operator = await connect_as(server, root, OPERATOR)
    await ensure_streams(operator.jetstream(), ("funding",))
    await publish(operator, funding_events(9))
    before = (await operator.jetstream().stream_info("CAMPUS_FUNDING")).state.messages

    ministry = await connect_as(server, root, "ministry-mefsin")
    js = ministry.jetstream(timeout=1)
    for refused in ("campus.funding.sgpi.>", "campus.funding.>", "campus.>"):
        with pytest.raises(
            (nats.errors.TimeoutError, nats.js.errors.APIError, nats.errors.NoRespondersError)
        ):
            await js.add_consumer(
                "CAMPUS_FUNDING", ConsumerConfig(name=f"x{uuid.uuid4().hex[:6]}", filter_subject=refused)
            )
    allowed = await js.add_consumer(
        "CAMPUS_FUNDING", ConsumerConfig(name="own", filter_subject="campus.funding.mefsin.>")
    )
    assert allowed.num_pending == 3

    event = funding_events(2)[1]
    await ministry.publish(event.subject, event.to_json())
    with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
        await js.publish(event.subject, event.to_json())
    await asyncio.sleep(0.2)
    assert (await operator.jetstream().stream_info("CAMPUS_FUNDING")).state.messages == before
    await ministry.close()
    await operator.close()

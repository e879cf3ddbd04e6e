"""What a ministry sees on the streams, through its own read-only NATS credentials and the
documented example consumer (examples/ministry_consumer.py), against a real NATS server started
with the generated configuration: one account for the Campus, one per ministry whose streams
source the Campus streams filtered on the public scope and the ministry's own."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from campus_devstack.natsconf import (
    OPERATOR,
    admin_user,
    ministry_account,
    password_for,
    provision_ministries_async,
    write_server_config,
)
from campus_devstack.servers import EmbeddedNats, free_port
from campus_events.contracts.funding import EnvelopeOpened, FundingRequested
from campus_events.contracts.samples import samples
from campus_events.envelope import envelope_for
from campus_events.streams import ensure_streams
from campus_service.testing import eventually

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ministry_consumer.py"
spec = importlib.util.spec_from_file_location("ministry_consumer", EXAMPLE)
assert spec and spec.loader
example = importlib.util.module_from_spec(spec)
spec.loader.exec_module(example)

STREAM = "CAMPUS_FUNDING"
REFUSED = (nats.errors.TimeoutError, nats.js.errors.APIError, nats.errors.NoRespondersError)


@pytest.fixture
def secured_nats(tmp_path):
    config = write_server_config(tmp_path / "nats.conf", tmp_path)
    server = EmbeddedNats(tmp_path / "nats", free_port(), config=config)
    server.start()
    try:
        yield server, tmp_path
    finally:
        server.stop()


class Client:
    """A connection as one user, recording the server's permission violations."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.nc: nats.NATS | None = None

    async def on_error(self, exc: Exception) -> None:
        self.errors.append(str(exc))

    def violations(self) -> str:
        """The subjects refused, lowercased (as nats-py reports them)."""
        return "\n".join(e for e in self.errors if "permissions violation" in e.lower()).lower()


async def connect_as(server, root, user) -> tuple[nats.NATS, Client]:
    client = Client()
    client.nc = await nats.connect(
        server.url,
        user=user,
        password=password_for(root, user),
        max_reconnect_attempts=2,
        error_cb=client.on_error,
    )
    return client.nc, client


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


async def messages_in(js, stream: str = STREAM, subject: str | None = None) -> int:
    info = await js.stream_info(stream, subjects_filter=subject)
    if subject is None:
        return info.state.messages
    return sum((info.state.subjects or {}).values())


async def pull_all(js, name: str, count: int) -> list[dict]:
    """Every message of consumer ``name`` until ``count`` arrived (acked), as decoded events."""
    sub = await js.pull_subscribe_bind(durable=name, stream=STREAM)
    got: list[dict] = []

    async def fetched() -> bool:
        try:
            msgs = await sub.fetch(count - len(got), timeout=0.5)
        except nats.errors.TimeoutError:
            return False
        for m in msgs:
            got.append(json.loads(m.data))
            await m.ack()
        return len(got) >= count

    await eventually(fetched, within=20)
    await sub.unsubscribe()
    return got


async def test_a_late_consumer_replays_everything_it_may_see_in_order_then_follows(secured_nats):
    server, root = secured_nats
    operator, _ = await connect_as(server, root, OPERATOR)
    await ensure_streams(operator.jetstream(), ("funding",))
    history = funding_events(1000)
    await publish(operator, history)
    # The ministry's streams are created after the 1,000 events: they source them from the first.
    await provision_ministries_async(server.url, root, ["mefsin"], ("funding",))

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
            STREAM,
            "hr-sync",
            handle,
            stop=stop,
        )
    )
    visible = [e for e in history if e.ministry in ("public", "mefsin")]
    try:
        await eventually(lambda: _true(len(received) >= len(visible)), within=60)
        assert {r["id"] for r in received} == {str(e.id) for e in visible}
        assert len(received) == len(visible)
        assert all(r["campusministry"] in ("public", "mefsin") for r in received)
        for scope in ("public", "mefsin"):  # each consumer delivers in stream order
            got = [r["id"] for r in received if r["campusministry"] == scope]
            assert got == [str(e.id) for e in visible if e.ministry == scope]

        later = funding_events(30)
        await publish(operator, later)
        expected_total = len(visible) + sum(e.ministry in ("public", "mefsin") for e in later)
        await eventually(lambda: _true(len(received) >= expected_total), within=30)
        assert len(received) == expected_total
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await operator.close()


async def _true(value: bool) -> bool:
    return value


async def test_a_ministry_reads_its_scope_and_public_only_and_is_refused_everything_else(secured_nats):
    server, root = secured_nats
    operator, _ = await connect_as(server, root, OPERATOR)
    ojs = operator.jetstream()
    await ensure_streams(ojs, ("funding",))
    await publish(operator, funding_events(9))  # 3 public, 3 mefsin, 3 sgpi
    await provision_ministries_async(server.url, root, ["mefsin", "sgpi"], ("funding",))
    campus_before = await messages_in(ojs)

    ministry, client = await connect_as(server, root, "ministry-mefsin")
    js = ministry.jetstream(timeout=5)
    no = ministry.jetstream(timeout=0.5)  # for what is refused: no answer comes
    # Its account holds a stream of the same name with the public events and its own, nothing else.
    assert await js.streams_info() and [s.config.name for s in await js.streams_info()] == [STREAM]
    await eventually(lambda: _equals(messages_in(js), 6), within=20)
    assert await messages_in(js, subject="campus.funding.sgpi.>") == 0

    # It reads its own and the public subjects, named as it likes.
    for scope in ("public", "mefsin"):
        await js.add_consumer(
            STREAM,
            ConsumerConfig(
                name=f"hr-sync-{scope}",
                durable_name=f"hr-sync-{scope}",
                deliver_policy=DeliverPolicy.ALL,
                ack_policy=AckPolicy.EXPLICIT,
                filter_subject=f"campus.funding.{scope}.>",
            ),
        )
        events = await pull_all(js, f"hr-sync-{scope}", 3)
        assert [e["campusministry"] for e in events] == [scope] * 3
    assert not client.violations()

    # Another ministry's subject, a wider filter, no filter: refused by its permissions.
    for refused in ("campus.funding.sgpi.>", "campus.funding.>", "campus.>", "campus.*.*.>", None):
        with pytest.raises(REFUSED):
            await no.add_consumer(
                STREAM, ConsumerConfig(name=f"x{uuid.uuid4().hex[:6]}", filter_subject=refused)
            )
    with pytest.raises(REFUSED):
        await no.add_consumer(
            STREAM, ConsumerConfig(durable_name="legacy", filter_subject="campus.funding.>")
        )
    assert client.violations().count("$js.api.consumer.") == 6

    # Another ministry's consumer: sgpi creates one; mefsin, knowing its name, cannot reach it.
    sgpi = await nats.connect(server.url, user="ministry-sgpi", password=password_for(root, "ministry-sgpi"))
    sjs = sgpi.jetstream(timeout=5)
    await eventually(lambda: _equals(messages_in(sjs), 6), within=20)
    await sjs.add_consumer(
        STREAM, ConsumerConfig(name="hr-sync", durable_name="hr-sync", filter_subject="campus.funding.sgpi.>")
    )
    with pytest.raises(nats.js.errors.NotFoundError):
        await js.consumer_info(STREAM, "hr-sync")
    with pytest.raises(REFUSED):
        sub = await js.pull_subscribe_bind(durable="hr-sync", stream=STREAM)
        await sub.fetch(1, timeout=1)
    # … and a consumer it creates under the same name is its own, with its own data.
    await js.add_consumer(
        STREAM,
        ConsumerConfig(name="hr-sync", durable_name="hr-sync", filter_subject="campus.funding.mefsin.>"),
    )
    assert {e["campusministry"] for e in await pull_all(js, "hr-sync", 3)} == {"mefsin"}
    theirs = await sjs.consumer_info(STREAM, "hr-sync")
    assert theirs.num_pending == 3 and theirs.delivered.stream_seq == 0
    # The Campus account's consumers are out of reach too (another account), whatever the subject.
    await ojs.add_consumer(STREAM, ConsumerConfig(name="campus-side", filter_subject="campus.funding.sgpi.>"))
    with pytest.raises(REFUSED):
        await ministry.request(f"$JS.API.CONSUMER.MSG.NEXT.{STREAM}.campus-side", b'{"batch": 1}', timeout=1)
    with pytest.raises(REFUSED):
        await ministry.request(
            f"$JS.campus.API.CONSUMER.CREATE.{STREAM}.y.campus.funding.sgpi.>",
            json.dumps(
                {"stream_name": STREAM, "config": {"name": "y", "filter_subject": "campus.funding.sgpi.>"}}
            ).encode(),
            timeout=1,
        )
    assert (await ojs.consumer_info(STREAM, "campus-side")).num_pending == 3

    # It publishes nothing: not an event, not to its own stream, not the delivery subjects.
    event = funding_events(2)[1]
    for subject in (event.subject, "campus.funding.public.envelope.X", "deliver.mefsin.x", "anything"):
        await ministry.publish(subject, event.to_json())
    with pytest.raises(REFUSED):
        await no.publish(event.subject, event.to_json())
    # … nor change a stream: delete, purge, delete a message, create, update.
    for attempt in (
        no.delete_stream(STREAM),
        no.purge_stream(STREAM),
        no.delete_msg(STREAM, 1),
        no.add_stream(name="MINE", subjects=["campus.funding.mefsin.>"]),
        no.update_stream(name=STREAM, subjects=["campus.>"]),
    ):
        with pytest.raises(REFUSED):
            await attempt
    await ministry.flush()
    await eventually(lambda: _true("anything" in client.violations()), within=5)
    for subject in (event.subject, "deliver.mefsin.x", "$JS.API.STREAM.DELETE", "$JS.API.STREAM.PURGE"):
        assert subject.lower() in client.violations()
    assert await messages_in(ojs) == campus_before
    assert await messages_in(js) == 6

    # Even the account's admin (held by the Campus team) cannot source another ministry's scope:
    # the Campus account exports that consumer creation to sgpi's account only.
    admin = await nats.connect(
        server.url, user=admin_user("mefsin"), password=password_for(root, admin_user("mefsin"))
    )
    ajs = admin.jetstream(timeout=5)
    from nats.js.api import ExternalStream, StreamConfig, StreamSource

    await ajs.add_stream(
        StreamConfig(
            name="STOLEN",
            subjects=[],
            sources=[
                StreamSource(
                    name=STREAM,
                    filter_subject="campus.funding.sgpi.>",
                    external=ExternalStream(api="$JS.campus.API", deliver="deliver.mefsin"),
                )
            ],
        )
    )
    await publish(operator, funding_events(3))  # one more of each scope
    await eventually(lambda: _equals(messages_in(sjs), 8), within=20)
    await eventually(lambda: _equals(messages_in(js), 8), within=20)
    assert await messages_in(ajs, "STOLEN") == 0
    assert ministry_account("mefsin") != ministry_account("sgpi")
    for nc in (admin, sgpi, ministry, operator):
        await nc.close()


async def _equals(value, expected) -> bool:
    return (await value) == expected


async def test_each_service_publishes_its_own_subjects_only_and_consumes_the_campus_streams(secured_nats):
    server, root = secured_nats
    operator, _ = await connect_as(server, root, OPERATOR)
    ojs = operator.jetstream()
    contexts = ("catalog", "enrollment", "projects", "funding", "trainers")
    await ensure_streams(ojs, contexts)
    await publish(operator, funding_events(3))

    funding, funding_client = await connect_as(server, root, "svc-funding")
    fjs = funding.jetstream(timeout=5)
    no = funding.jetstream(timeout=0.5)
    await ensure_streams(fjs, contexts)  # what the service kit does at start
    event = funding_events(2)[1]
    ack = await fjs.publish(event.subject, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
    assert ack.stream == STREAM
    with pytest.raises(REFUSED):
        await no.publish("campus.catalog.public.course.CoursePublished", b"{}")
    for attempt in (no.delete_stream("CAMPUS_CATALOG"), no.purge_stream(STREAM), no.delete_msg(STREAM, 1)):
        with pytest.raises(REFUSED):
            await attempt
    assert "campus.catalog.public.course.coursepublished" in await _violations(funding, funding_client)
    assert await messages_in(ojs, "CAMPUS_CATALOG") == 0 and await messages_in(ojs) == 4

    # The webhooks service consumes (creates, pulls, acks) every Campus stream and publishes no event.
    webhooks, webhooks_client = await connect_as(server, root, "svc-webhooks")
    wjs = webhooks.jetstream(timeout=5)
    await ensure_streams(wjs, contexts)
    for context in contexts:
        name = f"CAMPUS_{context.upper()}"
        await wjs.add_consumer(
            name,
            ConsumerConfig(
                name="webhooks",
                durable_name="webhooks",
                ack_policy=AckPolicy.EXPLICIT,
                filter_subjects=[f"campus.{context}.public.>", f"campus.{context}.mefsin.>"],
            ),
        )
    sub = await wjs.pull_subscribe_bind(durable="webhooks", stream=STREAM)
    msgs = await sub.fetch(3, timeout=5)
    for m in msgs:
        await m.ack_sync()
    assert (await wjs.consumer_info(STREAM, "webhooks")).num_ack_pending == 0
    with pytest.raises(REFUSED):
        await webhooks.jetstream(timeout=0.5).publish(event.subject, event.to_json())
    assert event.subject.lower() in await _violations(webhooks, webhooks_client)
    assert "$js.api.consumer" not in funding_client.violations() + webhooks_client.violations()
    for nc in (webhooks, funding, operator):
        await nc.close()


async def _violations(nc, client) -> str:
    await nc.flush()
    await eventually(lambda: _true(bool(client.violations())), within=5)
    return client.violations()


async def test_campus_nats_user_onboards_a_new_ministry_on_the_running_server(secured_nats):
    """`campus nats-user --ministry CODE` for a code never seen: config regenerated, server
    reloaded, the ministry's streams created (they replay history), `user:password` printed;
    the other ministries' streams keep following through the reload."""
    server, root = secured_nats
    operator, _ = await connect_as(server, root, OPERATOR)
    await ensure_streams(operator.jetstream(), ("funding",))
    await provision_ministries_async(server.url, root, ["mefsin"], ("funding",))
    examples = samples()
    history = [
        envelope_for(examples[FundingRequested].event, uuid.uuid4(), ministry="drees") for _ in range(4)
    ]
    await publish(operator, [*history, *funding_events(3)])
    (root / "stack.json").write_text(json.dumps({"nats_pid": server.process.pid, "nats_url": server.url}))

    env = {**os.environ, "CAMPUS_HOME": str(root)}
    done = await asyncio.to_thread(
        subprocess.run,
        [str(Path(sys.executable).parent / "campus"), "nats-user", "--ministry", "drees"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    user, _, password = done.stdout.strip().partition(":")
    assert user == "ministry-drees" and password == password_for(root, user)

    drees = await nats.connect(server.url, user=user, password=password)
    djs = drees.jetstream(timeout=5)
    assert {s.config.name for s in await djs.streams_info()} >= {STREAM}
    await eventually(lambda: _equals(messages_in(djs), 5), within=20)  # 4 of its own + 1 public
    await djs.add_consumer(
        STREAM, ConsumerConfig(name="own", durable_name="own", filter_subject="campus.funding.drees.>")
    )
    assert [e["id"] for e in await pull_all(djs, "own", 4)] == [str(e.id) for e in history]

    # mefsin, provisioned before the reload, still follows.
    mefsin = await nats.connect(
        server.url, user="ministry-mefsin", password=password_for(root, "ministry-mefsin")
    )
    mjs = mefsin.jetstream(timeout=5)
    await eventually(lambda: _equals(messages_in(mjs), 2), within=20)
    await publish(operator, funding_events(3))
    await eventually(lambda: _equals(messages_in(mjs), 4), within=20)
    await eventually(lambda: _equals(messages_in(djs), 6), within=20)
    for nc in (drees, mefsin, operator):
        await nc.close()

"""Delivery: real NATS and PostgreSQL, the service in-process, a real HTTP receiver on a free port."""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Any

import httpx
import nats
import pytest

from campus_events.contracts.samples import samples
from campus_events.envelope import Envelope, envelope_for
from campus_service.testing import TokenFactory, eventually
from campus_webhooks.bootstrap import DISPATCHER_TASK
from campus_webhooks.dispatcher import Dispatcher
from campus_webhooks.signature import sign
from campus_webhooks.testing import Receiver

SECRET = "whsec_" + "t" * 40
SAMPLES = {model.type_name(): sample for model, sample in samples().items()}


def event(type_name: str, ministry: str | None = None) -> Envelope:
    sample = SAMPLES[type_name]
    return envelope_for(sample.event, uuid.uuid4(), ministry=ministry, actor=sample.actor)


class Publisher:
    def __init__(self, url: str) -> None:
        self.url = url
        self.nc: Any = None

    async def __aenter__(self) -> Publisher:
        self.nc = await nats.connect(self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.nc.close()

    async def publish(self, envelope: Envelope, msg_id: str | None = None) -> None:
        await self.nc.jetstream().publish(
            envelope.subject, envelope.to_json(), headers={"Nats-Msg-Id": msg_id or str(envelope.id)}
        )


@pytest.fixture
async def publisher(client, nats_server):
    async with Publisher(nats_server.url) as pub:
        yield pub


async def register(client, tokens: TokenFactory, url: str, ministry: str = "mte", **body) -> dict:
    r = await client.post(
        "/v1/webhooks",
        json={"url": url, "secret": SECRET, **body},
        headers=tokens.auth(roles=["manager"], ministry=ministry),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def log_of(client, tokens, hook, ministry: str = "mte") -> list[dict]:
    r = await client.get(
        f"/v1/webhooks/{hook['id']}/deliveries",
        params={"limit": 500},
        headers=tokens.auth(roles=["manager"], ministry=ministry),
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_a_failing_receiver_gets_each_event_of_its_scope_exactly_once_in_order(
    client, tokens, publisher
):
    async with Receiver(SECRET, fail_first=3) as receiver:
        hook = await register(client, tokens, receiver.url)
        mine = [event("AgentEnrolled", "mte"), event("CourseCompleted", "mte"), event("CourseRated", "mte")]
        others = [event("AgentEnrolled", "mj"), event("CourseCompleted", "sgpi")]
        public = event("CoursePublished")
        await publisher.publish(mine[0])
        await publisher.publish(others[0])
        await publisher.publish(mine[1])
        await publisher.publish(public)
        await publisher.publish(others[1])
        await publisher.publish(mine[2])
        # The same event again under another message id: JetStream stores it twice.
        await publisher.publish(mine[1], msg_id=f"again-{mine[1].id}")

        wanted = {str(e.id) for e in [*mine, public]}
        await eventually(lambda: _arrived(receiver, wanted), within=60)
        await asyncio.sleep(0.5)  # anything extra (a duplicate, another ministry's event) would show now

        assert receiver.counts == {str(e.id): 1 for e in [*mine, public]}
        order = [i for i in receiver.accepted_ids if i != str(public.id)]
        assert order == [str(e.id) for e in mine]  # one stream's events, in stream order
        assert len(receiver.requests) == 4 + 3  # 3 refused + 4 accepted, all signed correctly
        assert not receiver.rejected
        # The 3 refusals fell on whichever event was at the head of this endpoint's queue: one of mine
        # or the public event (queued by another consumer, whose transaction may commit after a later
        # one's, so the head can change once). Each refusal is one more attempt in the log.
        first = receiver.accepted[0]
        sent = {str(e.id): e for e in [*mine, public]}
        assert first.body == sent[first.cloudevent["id"]].to_json()  # the CloudEvent exactly as on NATS
        assert first.headers["content-type"] == "application/cloudevents+json"
        assert first.headers["campus-webhook-id"] == hook["id"]
        assert first.cloudevent["campusministry"] in ("mte", "public")

        log = {d["event_id"]: d for d in await log_of(client, tokens, hook)}
        assert set(log) == wanted
        assert sum(entry["attempts"] - 1 for entry in log.values()) == 3
        for accepted in receiver.accepted:
            entry = log[accepted.cloudevent["id"]]
            assert accepted.headers["campus-delivery-attempt"] == str(entry["attempts"])
            assert entry["state"] == "delivered" and entry["last_status"] == 204
            assert entry["last_error"] is None and entry["delivered_at"]

        # The receiver's check rejects a tampered body or signature and accepts the genuine message.
        async with httpx.AsyncClient(timeout=5) as http:
            genuine = {k: v for k, v in first.headers.items() if k.startswith(("campus-", "content-type"))}
            tampered_body = first.body.replace(b'"campusministry":"', b'"campusministry":"x')
            assert tampered_body != first.body
            assert (await http.post(receiver.url, content=tampered_body, headers=genuine)).status_code == 400
            forged = {**genuine, "campus-signature": sign(first.body, ["whsec_" + "x" * 40])}
            assert (await http.post(receiver.url, content=first.body, headers=forged)).status_code == 400
            assert (await http.post(receiver.url, content=first.body, headers=genuine)).status_code == 204


async def _arrived(receiver: Receiver, wanted: set[str]) -> bool:
    return wanted <= set(receiver.accepted_ids)


async def test_a_receiver_with_another_secret_refuses_and_the_log_says_so(client, tokens, publisher):
    async with Receiver("whsec_" + "w" * 40) as receiver:
        hook = await register(client, tokens, receiver.url)
        await publisher.publish(event("AgentEnrolled", "mte"))

        async def refused_twice() -> bool:
            log = await log_of(client, tokens, hook)
            return bool(log) and log[0]["attempts"] >= 2 and log[0]

        entry = await eventually(refused_twice, within=30)
        assert entry["state"] == "pending" and entry["last_status"] == 400
        assert entry["last_error"].startswith("HTTP 400") and entry["next_attempt_at"]
        assert len(receiver.rejected) >= 2 and not receiver.accepted


async def test_given_up_deliveries_are_failed_and_can_be_retried(client, tokens, publisher, app):
    app.state.runtime.settings.max_attempts = 2
    async with Receiver(SECRET, fail_first=2, fail_status=503) as receiver:
        hook = await register(client, tokens, receiver.url)
        first, second = event("AgentEnrolled", "mte"), event("EnrollmentCancelled", "mte")
        await publisher.publish(first)
        await publisher.publish(second)

        async def states() -> dict[str, str] | None:
            log = {d["event_id"]: d for d in await log_of(client, tokens, hook)}
            done = len(log) == 2 and all(d["state"] != "pending" for d in log.values())
            return {k: d["state"] for k, d in log.items()} if done else None

        # The first gave up after 2 attempts; the queue moved on to the second, delivered.
        assert await eventually(states, within=30) == {str(first.id): "failed", str(second.id): "delivered"}
        assert receiver.accepted_ids == [str(second.id)]
        failed = (await log_of(client, tokens, hook))[-1]
        assert failed["attempts"] == 2 and failed["last_status"] == 503 and failed["next_attempt_at"] is None

        base = f"/v1/webhooks/{hook['id']}/deliveries"
        auth = tokens.auth(roles=["manager"], ministry="mte")
        again = await client.post(f"{base}/{first.id}/retry", headers=auth)
        assert again.status_code == 200 and again.json()["state"] == "pending"
        assert (await client.post(f"{base}/{second.id}/retry", headers=auth)).status_code == 409
        assert (await client.post(f"{base}/{uuid.uuid4()}/retry", headers=auth)).status_code == 404
        await eventually(lambda: _arrived(receiver, {str(first.id)}), within=30)
        entry = (await client.get(f"{base}/{first.id}", headers=auth)).json()
        assert entry["state"] == "delivered" and entry["attempts"] == 3
        forged = base64.urlsafe_b64encode(f"s:{10**30}".encode()).decode()  # beyond a bigint: was a 500
        assert (await client.get(base, params={"cursor": forged}, headers=auth)).status_code == 422

        metrics = (await client.get("/metrics")).text
        assert 'campus_webhook_deliveries_total{outcome="failed"} 1.0' in metrics
        assert 'campus_webhook_deliveries_total{outcome="retried"} 1.0' in metrics
        assert 'campus_webhook_deliveries_total{outcome="delivered"} 2.0' in metrics
        assert "campus_webhook_dispatcher_active 1.0" in metrics
        await eventually(lambda: _metric(client, "campus_webhook_backlog 0.0"), within=10)


async def test_a_paused_endpoint_queues_and_gets_everything_in_order_on_resume(client, tokens, publisher):
    async with Receiver(SECRET) as receiver:
        hook = await register(client, tokens, receiver.url, event_types=["AgentEnrolled"])
        auth = tokens.auth(roles=["manager"], ministry="mte")
        await client.post(f"/v1/webhooks/{hook['id']}/pause", headers=auth)
        events = [event("AgentEnrolled", "mte") for _ in range(5)]
        for e in events:
            await publisher.publish(e)
        await publisher.publish(event("CourseCompleted", "mte"))  # not among its types

        async def queued() -> bool:
            return len(await log_of(client, tokens, hook)) == 5

        await eventually(queued, within=30)
        await asyncio.sleep(0.5)
        assert receiver.requests == []
        await eventually(lambda: _metric(client, "campus_webhook_backlog 5.0"), within=10)
        await client.post(f"/v1/webhooks/{hook['id']}/resume", headers=auth)
        await eventually(lambda: _arrived(receiver, {str(e.id) for e in events}), within=30)
        assert receiver.accepted_ids == [str(e.id) for e in events]


async def test_a_dispatcher_stopped_mid_delivery_loses_nothing(client, tokens, publisher, app, settings):
    runtime = app.state.runtime
    hold = asyncio.Event()
    # The first request is held, then refused: the client is gone by then anyway.
    async with Receiver(SECRET, fail_first=1, hold=hold) as receiver:
        hook = await register(client, tokens, receiver.url)
        enrolled = event("AgentEnrolled", "mte")
        await publisher.publish(enrolled)
        await asyncio.wait_for(receiver.arrived.wait(), 30)

        task = runtime.tasks.pop(DISPATCHER_TASK)
        task.cancel()  # mid-request: the attempt is never recorded
        with pytest.raises(asyncio.CancelledError):
            await task
        log = await log_of(client, tokens, hook)
        assert log[0]["state"] == "pending" and log[0]["attempts"] == 0
        hold.set()
        await eventually(lambda: _has(receiver, 1), within=10)  # the orphaned request, refused

        successor = Dispatcher(settings.database_url, runtime.pool, settings)
        runtime.tasks[DISPATCHER_TASK] = asyncio.create_task(successor.run(), name=DISPATCHER_TASK)
        await eventually(lambda: _arrived(receiver, {str(enrolled.id)}), within=30)
        assert receiver.counts == {str(enrolled.id): 1}
        entry = (await log_of(client, tokens, hook))[0]
        assert entry["state"] == "delivered" and entry["attempts"] == 1


async def _metric(client, line: str) -> bool:
    return line in (await client.get("/metrics")).text


async def _has(receiver: Receiver, n: int) -> bool:
    return len(receiver.requests) >= n


async def test_a_deactivated_endpoint_gets_nothing_more(client, tokens, publisher):
    async with Receiver(SECRET) as receiver:
        hook = await register(client, tokens, receiver.url)
        auth = tokens.auth(roles=["manager"], ministry="mte")
        first = event("AgentEnrolled", "mte")
        await publisher.publish(first)
        await eventually(lambda: _arrived(receiver, {str(first.id)}), within=30)
        await client.post(f"/v1/webhooks/{hook['id']}/deactivate", headers=auth)
        later = [event("AgentEnrolled", "mte"), event("CoursePublished")]
        for e in later:
            await publisher.publish(e)
        # A later event of the same stream reaches a second registration: the ones before it were consumed.
        async with Receiver(SECRET) as witness:
            await register(client, tokens, witness.url)
            marker = event("CourseCompleted", "mte")
            await publisher.publish(marker)
            await eventually(lambda: _arrived(witness, {str(marker.id)}), within=30)
        assert receiver.accepted_ids == [str(first.id)]
        assert [d["event_id"] for d in await log_of(client, tokens, hook)] == [str(first.id)]

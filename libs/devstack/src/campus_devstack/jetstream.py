"""Reading back what a JetStream stream holds, for tests and checks."""

from __future__ import annotations

import uuid

from nats.aio.client import Client as NATS
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from campus_events.envelope import Envelope


async def stream_messages(
    nc: NATS, stream: str, *, subject: str = ">", batch: int = 1000
) -> list[tuple[int, bytes]]:
    """Every message of ``stream`` (its sequence and payload), read with a throw-away consumer."""
    js = nc.jetstream()
    name = f"check-{uuid.uuid4().hex[:12]}"
    config = ConsumerConfig(
        name=name,
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.NONE,
        filter_subject=subject,
        inactive_threshold=30,
    )
    await js.add_consumer(stream, config)
    sub = await js.pull_subscribe_bind(durable=name, stream=stream)
    info = await js.stream_info(stream)
    out: list[tuple[int, bytes]] = []
    try:
        while len(out) < info.state.messages:
            try:
                msgs = await sub.fetch(batch, timeout=1.0)
            except NatsTimeoutError:
                break
            out.extend((m.metadata.sequence.stream, m.data) for m in msgs)
    finally:
        await sub.unsubscribe()
        await js.delete_consumer(stream, name)
    return out


async def stream_envelopes(nc: NATS, stream: str, *, subject: str = ">") -> list[Envelope]:
    return [Envelope.from_json(data) for _, data in await stream_messages(nc, stream, subject=subject)]

"""A ministry's consumer of the Campus event streams — copy it and adapt ``handle``.

It reads the ``public`` subjects and its own ministry's (one consumer for each), from the first event on, then follows
new ones; it resumes where it stopped after a restart (a durable consumer that it names itself)
and processes each event once (it remembers the ids it handled: JetStream delivers at least once).

    python examples/ministry_consumer.py --url nats://HOST:4222 --user ministry-mefsin \\
        --password SECRET --ministry mefsin --stream CAMPUS_CATALOG --name mefsin-hr-sync

Your credentials live in your ministry's own NATS account, whose streams (same names as the
Campus's) hold only the public events and yours: name consumers as you like, nobody else sees them.
Needs only ``nats-py`` (``pip install nats-py``). Messages are CloudEvents 1.0 JSON; their JSON
Schemas are published at ``/schemas/<Type>.v<N>.json`` (see docs/ministries.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

Handler = Callable[[dict[str, Any]], Awaitable[None]]


async def consume(
    url: str,
    user: str,
    password: str,
    ministry: str,
    stream: str,
    name: str,
    handle: Handler,
    *,
    seen: set[str] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Deliver every event of ``stream`` visible to ``ministry`` to ``handle``, once each, in order."""
    context = stream.removeprefix("CAMPUS_").lower()
    nc = await nats.connect(url, user=user, password=password, max_reconnect_attempts=-1)
    js = nc.jetstream()
    # `name` (not only `durable_name`) makes nats-py use the filter-bearing create subject, the
    # only one a ministry's credentials allow; that subject carries one filter, hence two consumers.
    subs = []
    for scope in ("public", ministry):
        config = ConsumerConfig(
            name=f"{name}-{scope}",
            durable_name=f"{name}-{scope}",
            deliver_policy=DeliverPolicy.ALL,  # from the first event: the streams keep everything
            ack_policy=AckPolicy.EXPLICIT,
            filter_subject=f"campus.{context}.{scope}.>",
        )
        await js.add_consumer(stream, config)
        subs.append(await js.pull_subscribe_bind(durable=config.name, stream=stream))
    seen = seen if seen is not None else set()  # keep it in your database in real life
    try:
        while stop is None or not stop.is_set():
            for sub in subs:
                try:
                    msgs = await sub.fetch(100, timeout=0.5)
                except TimeoutError:  # nothing new (nats-py raises its own or asyncio's: catch both)
                    continue
                await _handle_batch(msgs, handle, seen)
    finally:
        await nc.close()


async def _handle_batch(msgs: list[Any], handle: Handler, seen: set[str]) -> None:
    for msg in msgs:
        event = json.loads(msg.data)
        if event["id"] not in seen:  # a redelivery after a crash: already handled
            await handle(event)
            seen.add(event["id"])
        await msg.ack()


async def _print(event: dict[str, Any]) -> None:
    print(event["time"], event["type"], event["subject"], json.dumps(event["data"], ensure_ascii=False)[:120])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for option in ("url", "user", "password", "ministry", "stream", "name"):
        parser.add_argument(f"--{option}", required=True)
    args = parser.parse_args()
    asyncio.run(consume(args.url, args.user, args.password, args.ministry, args.stream, args.name, _print))


if __name__ == "__main__":
    main()

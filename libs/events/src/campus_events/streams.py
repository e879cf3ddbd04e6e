"""The JetStream streams of the contract: one per context, file storage, nothing discarded."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from .registry import CONTEXTS, stream_for_context

# Long enough to cover a relay that publishes, crashes before marking the outbox and restarts.
DUPLICATE_WINDOW_SECONDS = 15 * 60


def stream_config(context: str, *, replicas: int = 1) -> StreamConfig:
    """``CAMPUS_<CONTEXT>`` on ``campus.<context>.>``: limits retention with no limits, so
    other ministries can replay from the first event."""
    return StreamConfig(
        name=stream_for_context(context),
        subjects=[f"campus.{context}.>"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_msgs=-1,
        max_bytes=-1,
        max_age=0,
        max_msg_size=1024 * 1024,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
        allow_direct=True,
    )


async def ensure_streams(
    js: JetStreamContext, contexts: tuple[str, ...] = CONTEXTS, *, replicas: int = 1
) -> list[str]:
    """Create the streams, or bring an existing one to this configuration. Idempotent."""
    names = []
    for context in contexts:
        config = stream_config(context, replicas=replicas)
        try:
            await js.add_stream(config)
        except BadRequestError:  # exists with another configuration
            await js.update_stream(config)
        names.append(stream_for_context(context))
    return names

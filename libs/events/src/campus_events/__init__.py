"""Campus shared kernel: event contracts, envelope, event store, outbox relay, consumers.

Importing ``campus_events.contracts`` registers every event contract in ``registry``.
"""

from . import contracts as contracts
from .registry import registry as registry

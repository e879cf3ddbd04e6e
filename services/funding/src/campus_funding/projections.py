"""The funding service's read models, fed from JetStream (one ``Projection`` per consumer)."""

from __future__ import annotations

from campus_events.consumer import Projection

PROJECTIONS: list[Projection] = []

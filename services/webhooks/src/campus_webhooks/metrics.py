"""The dispatcher's figures on the service's ``/metrics``, read at scrape time (the kit's style).

* ``campus_webhook_deliveries_total{outcome}`` — attempts by outcome: ``delivered``, ``retried``
  (failed, will be retried), ``failed`` (given up).
* ``campus_webhook_backlog`` — deliveries pending for registrations not deactivated.
* ``campus_webhook_dispatcher_active`` — 1 if this replica holds the dispatcher lock.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .dispatcher import Dispatcher


class DispatcherCollector(Collector):
    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        stats = self.dispatcher.stats
        outcomes = CounterMetricFamily(
            "campus_webhook_deliveries", "Delivery attempts by outcome.", labels=["outcome"]
        )
        outcomes.add_metric(["delivered"], stats.delivered)
        outcomes.add_metric(["retried"], stats.retried)
        outcomes.add_metric(["failed"], stats.failed)
        yield outcomes
        yield GaugeMetricFamily(
            "campus_webhook_backlog", "Deliveries pending for registrations not deactivated.", stats.backlog
        )
        yield GaugeMetricFamily(
            "campus_webhook_dispatcher_active",
            "1 if this replica holds the dispatcher lock.",
            int(stats.active),
        )

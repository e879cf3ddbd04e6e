"""Prometheus metrics of one app, in a registry of its own (several apps may share a process).

Counters the code increments (HTTP requests, events appended), gauges refreshed when scraped
(outbox backlog, dead letters, consumer lag) and the relay's and consumers' own statistics.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from campus_events.consumer import BATCH_SECONDS_BUCKETS
from campus_events.outbox import LATENCY_BUCKETS as RELAY_BUCKETS

if TYPE_CHECKING:
    from .runtime import Runtime

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SCRAPE_QUERY_TIMEOUT = 1.0
LAG_TIMEOUT = 0.5


class ServiceMetrics:
    def __init__(self, service: str, version: str = "0") -> None:
        # `*_created` series would double the output for no use here.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.info = Gauge(
            "campus_service_info", "The service and its version.", ["service", "version"], registry=r
        )
        self.info.labels(service, version).set(1)
        self.http_requests = Counter(
            "campus_http_requests",
            "HTTP requests by route template and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_latency = Histogram(
            "campus_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.events_appended = Counter(
            "campus_events_appended", "Events appended to the event store.", ["type"], registry=r
        )
        self.outbox_backlog = Gauge(
            "campus_outbox_backlog", "Events committed and not yet acknowledged by JetStream.", registry=r
        )
        self.dead_letters = Gauge("campus_dead_letters", "Messages in the dead-letter table.", registry=r)
        self.consumer_lag = Gauge(
            "campus_consumer_lag",
            "Messages of its stream the consumer has not been delivered yet.",
            ["consumer"],
            registry=r,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_latency.labels(method, route).observe(seconds)

    def watch(self, runtime: Runtime) -> None:
        """Expose the relay's and consumers' statistics of ``runtime``."""
        self.registry.register(RuntimeCollector(runtime))

    async def refresh(self, runtime: Runtime) -> None:
        """Update the gauges that need a query; each one is given up quickly if its server is away."""
        await asyncio.gather(
            self._refresh_tables(runtime), *(self._refresh_lag(runtime, c) for c in runtime.consumers)
        )

    async def _refresh_tables(self, runtime: Runtime) -> None:
        if runtime.pool is None:
            return
        try:
            async with asyncio.timeout(SCRAPE_QUERY_TIMEOUT), runtime.pool.acquire() as conn:
                self.outbox_backlog.set(await conn.fetchval("SELECT count(*) FROM outbox"))
                self.dead_letters.set(await conn.fetchval("SELECT count(*) FROM dead_letters"))
        except Exception:  # noqa: BLE001 - the database is away: readiness says so, the scrape goes on
            self.outbox_backlog.set(math.nan)
            self.dead_letters.set(math.nan)

    async def _refresh_lag(self, runtime: Runtime, consumer: Any) -> None:
        gauge = self.consumer_lag.labels(consumer.name)
        nc = runtime.nc
        if nc is None or not nc.is_connected:
            gauge.set(math.nan)
            return
        try:
            info = await nc.jetstream().consumer_info(
                consumer.projection.stream, consumer.name, timeout=LAG_TIMEOUT
            )
            gauge.set(info.num_pending or 0)
        except Exception:  # noqa: BLE001 - not created yet or NATS away
            gauge.set(math.nan)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class RuntimeCollector(Collector):
    """Reads the relay's and the consumers' in-memory statistics at scrape time."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def describe(self) -> list[Metric]:
        return []  # unchecked collector: names are not known before the runtime starts

    def collect(self) -> Iterator[Metric]:
        relay = self.runtime.relay
        if relay is not None:
            stats = relay.stats
            yield CounterMetricFamily(
                "campus_relay_published", "Events published to JetStream.", stats.published
            )
            yield CounterMetricFamily(
                "campus_relay_failures", "Relay batches not fully published.", stats.failures
            )
            yield GaugeMetricFamily(
                "campus_relay_last_latency_seconds",
                "Commit-to-PubAck time of the last event published.",
                stats.last_latency_seconds,
            )
            yield GaugeMetricFamily(
                "campus_relay_active", "1 if this replica holds the relay lock.", int(stats.active)
            )
            latency = HistogramMetricFamily(
                "campus_relay_latency_seconds", "Commit-to-PubAck time of each event published."
            )
            latency.add_metric([], cumulative(RELAY_BUCKETS, stats.latency_counts), stats.latency_sum)
            yield latency
        applied = CounterMetricFamily(
            "campus_consumer_applied", "Events applied to the projection.", labels=["consumer"]
        )
        dead = CounterMetricFamily(
            "campus_consumer_dead_lettered", "Messages sent to the dead letters.", labels=["consumer"]
        )
        skipped = CounterMetricFamily(
            "campus_consumer_skipped",
            "Redeliveries skipped (at or below the checkpoint).",
            labels=["consumer"],
        )
        active = GaugeMetricFamily(
            "campus_consumer_active", "1 if this replica runs the consumer.", labels=["consumer"]
        )
        batch = HistogramMetricFamily(
            "campus_consumer_batch_duration_seconds",
            "Time to apply a fetched batch, commit it with the checkpoint and ack it.",
            labels=["consumer"],
        )
        for consumer in self.runtime.consumers:
            counts = consumer.stats
            applied.add_metric([consumer.name], counts.applied)
            dead.add_metric([consumer.name], counts.dead_lettered)
            skipped.add_metric([consumer.name], counts.skipped)
            active.add_metric([consumer.name], int(counts.active))
            batch.add_metric(
                [consumer.name],
                cumulative(BATCH_SECONDS_BUCKETS, counts.batch_seconds),
                counts.batch_seconds_sum,
            )
        yield from (applied, dead, skipped, active, batch)


def cumulative(bounds: tuple[float, ...], counts: list[int]) -> list[tuple[str, float]]:
    """Per-bucket counts (the last one above every bound) as Prometheus's cumulative buckets."""
    total, out = 0, []
    for bound, count in zip([*map(str, bounds), "+Inf"], counts, strict=True):
        total += count
        out.append((bound, float(total)))
    return out

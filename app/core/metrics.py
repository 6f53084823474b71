"""Prometheus metrics: request counts and latency by route template, database connections."""

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class Metrics:
    """The service's own registry, so several apps in one process (tests) do not clash."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "dapur_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "dapur_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        # A count that keeps rising under steady load means the pool is smaller than the
        # process's concurrent requests: each one above it opens and closes a connection.
        self.db_connections_opened = Counter(
            "dapur_db_connections_opened_total",
            "Database connections this process opened for requests",
            registry=self.registry,
        )
        self._engines: list[AsyncEngine] = []
        in_use = Gauge(
            "dapur_db_connections_in_use",
            "Database connections this process has checked out of its pools now",
            registry=self.registry,
        )
        # Read from the pools when scraped: a count kept by events drifted (below zero)
        # when connections died with the database.
        in_use.set_function(self._checked_out)

    def _checked_out(self) -> float:
        return float(sum(_checked_out(engine) for engine in self._engines))

    def watch(self, engine: AsyncEngine) -> None:
        """Count the connections `engine`'s pool opens, and report those it lends."""
        self._engines.append(engine)

        def opened(*_: Any) -> None:
            self.db_connections_opened.inc()

        event.listen(engine.sync_engine, "connect", opened)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request and its latency."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


def _checked_out(engine: AsyncEngine) -> int:
    checkedout = getattr(engine.pool, "checkedout", None)
    return int(checkedout()) if callable(checkedout) else 0

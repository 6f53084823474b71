"""Prometheus metrics: request counts and latency by route template, database connections."""

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send


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
        self.db_connections_in_use = Gauge(
            "dapur_db_connections_in_use",
            "Database connections this process has checked out of its pool now",
            registry=self.registry,
        )

    def watch(self, engine: Engine) -> None:
        """Count the connections `engine`'s pool opens and lends."""

        def opened(*_: Any) -> None:
            self.db_connections_opened.inc()

        def checked_out(*_: Any) -> None:
            self.db_connections_in_use.inc()

        def checked_in(*_: Any) -> None:
            self.db_connections_in_use.dec()

        event.listen(engine, "connect", opened)
        event.listen(engine, "checkout", checked_out)
        event.listen(engine, "checkin", checked_in)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - start)

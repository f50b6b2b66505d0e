"""Prometheus metrics: requests and their latency per route, served at ``/metrics``.

Every label value comes from a closed set, whatever a client sends: a method outside
:data:`KNOWN_METHODS` counts as ``OTHER`` and a path no route matched as ``unmatched``. A label
taken from the request as sent would let anyone grow a series per invented method or path
(23,000 random methods once grew the process by 100 MB and ``/metrics`` to 38 MB).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "OTHER"
UNMATCHED_ROUTE = "unmatched"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "chatpins_http_requests",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "chatpins_http_request_seconds",
            "HTTP request latency by route.",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )

    def watch(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        """A gauge read when scraped (live streams, webhooks in flight)."""
        Gauge(name, documentation, registry=self.registry).set_function(read)

    async def endpoint(self, _request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts every HTTP request under its route template (``/open-apis/im/v1/pins``), so a
    label never holds an id."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = _route_template(scope)
            method = _method_label(scope["method"])
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)


def _method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else OTHER_METHOD


def _route_template(scope: Scope) -> str:
    # Mounted apps leave their matched route in the scope; join the mount prefix and its path.
    # Both are ours (a route's template, a dialect's fixed prefix), never the path as sent.
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED_ROUTE
    return scope.get("root_path", "") + path

"""Prometheus metrics, served at ``/metrics``, and the middleware that observes every request:
its id (``X-Request-Id``), its count and latency, its log line.

Every label value comes from a closed set, whatever a client sends: a method outside
:data:`KNOWN_METHODS` counts as ``OTHER`` and a path no route matched as ``unmatched``; a
dialect is one the server serves, an action or event type one of core's enums. A label taken
from the request as sent would let anyone grow a series per invented method or path (23,000
random methods once grew the process by 100 MB and ``/metrics`` to 38 MB).

docs/operations.md lists every metric and log field.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import structlog
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
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatpins import request_context
from chatpins.core.entities import PinAction
from chatpins.core.events import EventType
from chatpins.logs import log_format_of
from chatpins.settings import Settings

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "OTHER"
UNMATCHED_ROUTE = "unmatched"
OTHER = "other"  # an event type or pin action core does not list (never expected)
EVENT_TYPES = frozenset(t.value for t in EventType)
PIN_ACTIONS = frozenset(a.value for a in PinAction)
# Where events are delivered, and how a delivery can end (delivery/hub.py, delivery/webhooks.py).
OUTCOMES = {
    "websocket": ("delivered", "failed"),
    "webhook": ("delivered", "retrying", "failed", "error"),
}
MAX_TARGET_CHARS = 2000

_HEADER = request_context.HEADER.encode()
_SENT_HEADER = request_context.HEADER.lower().encode()
request_log = structlog.get_logger("chatpins.request")
log = structlog.get_logger(__name__)


class Written(Protocol):
    """What one committed transaction wrote (``storage.uow.Committed``)."""

    @property
    def events(self) -> Mapping[str, int]: ...
    @property
    def pin_changes(self) -> Mapping[str, int]: ...


class Metrics:
    """The process's registry, and whether the middleware writes each request's log line: in
    the JSON log format (in the console format, uvicorn's access line is the request's line;
    see logs.py)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.request_log = settings is not None and log_format_of(settings) == "json"
        self.registry = registry = CollectorRegistry()
        self.requests = Counter(
            "chatpins_http_requests",
            "HTTP requests by dialect, route and status.",
            ["dialect", "method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "chatpins_http_request_seconds",
            "HTTP request latency by dialect and route.",
            ["dialect", "method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=registry,
        )
        self.rate_limited = Counter(
            "chatpins_rate_limited",
            "Requests refused by a rate limit, by the dialect that answered.",
            ["dialect"],
            registry=registry,
        )
        self.pins_changed = Counter(
            "chatpins_pins_changed",
            "Pin history rows committed, by action.",
            ["action"],
            registry=registry,
        )
        self.events_written = Counter(
            "chatpins_events_written",
            "Outbox events committed, by type.",
            ["type"],
            registry=registry,
        )
        self.events_delivered = Counter(
            "chatpins_events_delivered",
            "Events handed to a subscriber, by channel and outcome.",
            ["channel", "outcome"],
            registry=registry,
        )
        self.event_lag = Histogram(
            "chatpins_event_lag_seconds",
            "From an event's time to its delivery, by channel.",
            ["channel"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
            registry=registry,
        )
        self.limit_fallbacks = Counter(
            "chatpins_rate_limit_fallbacks",
            "Rate-limit checks decided in this process because Redis did not answer.",
            registry=registry,
        )
        self._before_scrape: list[Callable[[], Awaitable[None]]] = []
        # Every series of a closed set exists from the start, at 0: a rate over a series that
        # appears with its first increment misses that increment.
        for action in PIN_ACTIONS:
            self.pins_changed.labels(action)
        for type_ in EVENT_TYPES:
            self.events_written.labels(type_)
        # Delivery is counted per frame (20,000 a second at 1,000 subscribers × 20 events):
        # each series' child is looked up once here, not by ``labels`` on every frame.
        self._lag = {channel: self.event_lag.labels(channel) for channel in OUTCOMES}
        self._delivered = {
            (channel, outcome): self.events_delivered.labels(channel, outcome)
            for channel, outcomes in OUTCOMES.items()
            for outcome in outcomes
        }
        # The same for every request and commit: each series' child looked up once, then kept
        # (their label values come from closed sets, so these stay small).
        self._children: dict[tuple[Any, ...], Any] = {}

    def child(self, metric: Counter | Histogram, *values: str) -> Any:
        """``metric.labels(*values)``, found once per series."""
        found = self._children.get((metric, *values))
        if found is None:
            found = self._children[(metric, *values)] = metric.labels(*values)
        return found

    def watch(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        """A gauge read when scraped (live streams, webhooks in flight)."""
        Gauge(name, documentation, registry=self.registry).set_function(read)

    def measure(self, name: str, documentation: str, read: Callable[[], Awaitable[float]]) -> None:
        """A gauge that needs I/O (a bounded count query): read once per scrape, before the
        registry is rendered."""
        gauge = Gauge(name, documentation, registry=self.registry)

        async def refresh() -> None:
            gauge.set(await read())

        self._before_scrape.append(refresh)

    def committed(self, written: Written) -> None:
        """A unit of work committed (``Database.commit_observers``)."""
        for type_, count in written.events.items():
            self.child(self.events_written, type_ if type_ in EVENT_TYPES else OTHER).inc(count)
        for action, count in written.pin_changes.items():
            self.child(self.pins_changed, action if action in PIN_ACTIONS else OTHER).inc(count)

    def delivered(self, channel: str, outcome: str, event_at_ms: int) -> None:
        """An event went to a subscriber (or failed to): counted, and its lag if delivered."""
        counted = self._delivered.get((channel, outcome))
        if counted is None:  # outside the closed set: a bug, but never a failed delivery
            counted = self.events_delivered.labels(channel, outcome)
        counted.inc()
        if outcome == "delivered":
            lag = time.time() - event_at_ms / 1000
            self._lag[channel].observe(max(0.0, lag))

    async def endpoint(self, _request: Request) -> Response:
        for refresh in self._before_scrape:
            try:
                await refresh()
            except Exception:  # the database away: the gauge keeps its last value
                log.warning("metric_not_refreshed", exc_info=True)
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Around every request: its id (the client's ``X-Request-Id`` when safe, else a new one)
    in ``X-Request-Id`` on the response, and, once answered, its count and latency under its
    dialect and route template (``/open-apis/im/v1/pins``: a label never holds an id) and its
    log line."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_context.request_id_from(_sent_id(scope))
        header = (_HEADER, request_id.encode())
        token = request_context.begin(request_id)
        try:
            if scope["type"] == "websocket":
                await self.app(scope, receive, _with_accept_header(send, header))
            else:
                await self._observe(scope, receive, send, header)
        finally:
            request_context.end(token)

    async def _observe(
        self, scope: Scope, receive: Receive, send: Send, header: tuple[bytes, bytes]
    ) -> None:
        started = time.perf_counter()
        record = request_context.current()
        assert record is not None
        status: int | None = None
        labels: tuple[str, str, str] = ("", "", "")  # dialect, method, route: set by count

        # Counted as the answer starts, before the client can read it (a test, or a client
        # that alerts on its own 429s, then finds it counted); the time once it is sent.
        # The route is known by then (routing is done), so it is looked up once, here.
        def count(answered: int) -> None:
            nonlocal status, labels
            status = answered
            labels = (record.dialect, _method_label(scope["method"]), _route(record, scope))
            self.metrics.child(self.metrics.requests, *labels, str(answered)).inc()
            if record.rate_limited:
                self.metrics.child(self.metrics.rate_limited, record.dialect).inc()

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
                count(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            if status is None:  # it failed, or the client left, before any answer
                count(500)
            elapsed = time.perf_counter() - started
            dialect, method, route = labels
            self.metrics.child(self.metrics.latency, dialect, method, route).observe(elapsed)
            if self.metrics.request_log:
                # request_id comes from the context (see request_context.begin); the logging
                # configuration redacts the target's credentials as in every line.
                request_log.info(
                    "request",
                    app=record.app,
                    dialect=dialect,
                    method=method,
                    route=route,
                    status=status,
                    ms=round(elapsed * 1000, 2),
                    target=_target(scope),
                )


def _sent_id(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == _SENT_HEADER:
            return bytes(value)
    return None


def _with_accept_header(send: Send, header: tuple[bytes, bytes]) -> Send:
    """A WebSocket's handshake answer carries the id too."""

    async def accept(message: Message) -> None:
        if message["type"] == "websocket.accept":
            message["headers"] = [*message.get("headers", ()), header]
        await send(message)

    return accept


def _target(scope: Scope) -> str:
    """The path and query as sent (the log redacts their credentials), cut to
    ``MAX_TARGET_CHARS``: a line stays a line."""
    path: str = scope["path"]
    query = scope.get("query_string", b"")
    target = f"{path}?{query.decode('latin-1')}" if query else path
    return target if len(target) <= MAX_TARGET_CHARS else target[:MAX_TARGET_CHARS] + "..."


def _method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else OTHER_METHOD


def _route(record: request_context.RequestRecord, scope: Scope) -> str:
    return record.route or _route_template(scope)


def _route_template(scope: Scope) -> str:
    # Mounted apps leave their matched route in the scope; join the mount prefix and its path.
    # Both are ours (a route's template, a dialect's fixed prefix), never the path as sent.
    route = scope.get("route") or _plain_route(scope)
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED_ROUTE
    return scope.get("root_path", "") + path


def _plain_route(scope: Scope) -> BaseRoute | None:
    """FastAPI's router names the route it chose only for its own routes: a plain one
    (``add_route``: ``/metrics``, ``/livez``, the landing page) leaves just its endpoint,
    looked up here among the router's routes (two may share an endpoint: their path tells)."""
    endpoint = scope.get("endpoint")
    if endpoint is None:
        return None
    for route in getattr(scope.get("router"), "routes", ()):
        if (
            getattr(route, "endpoint", None) is endpoint
            and route.matches(scope)[0] is not Match.NONE
        ):
            return route
    return None

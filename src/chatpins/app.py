"""Builds the ASGI application from settings: the one place that wires everything together."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp

from chatpins import __version__
from chatpins.api import errors as api_errors
from chatpins.api.clock import router as clock_router
from chatpins.api.console import install as install_console
from chatpins.api.dialect_openapi import DialectDocuments
from chatpins.api.dialect_openapi import router as dialect_openapi_router
from chatpins.api.docs_ui import install_docs
from chatpins.api.events import StreamKeeper, event_stream
from chatpins.api.health import Readiness, livez
from chatpins.api.landing import landing
from chatpins.api.metrics import Metrics, MetricsMiddleware
from chatpins.api.native.capabilities import router as native_capabilities_router
from chatpins.api.native.chats import router as native_chats_router
from chatpins.api.native.conversations import router as native_conversations_router
from chatpins.api.native.pins import router as native_pins_router
from chatpins.api.provisioning import router as provisioning_router
from chatpins.api.test_controls import router as test_controls_router
from chatpins.api.webhooks import router as webhooks_router
from chatpins.core.context import Deps
from chatpins.core.errors import ChatpinsError
from chatpins.core.ports import RateLimiter
from chatpins.core.recent import Recent
from chatpins.core.services import webhooks as webhook_rules
from chatpins.core.services.webhooks import DeliveryRules
from chatpins.delivery.hub import EventHub
from chatpins.delivery.targets import TargetPolicy
from chatpins.delivery.webhooks import WebhookWorker
from chatpins.dialects.feishu import routes as feishu
from chatpins.dialects.imkit import routes as imkit
from chatpins.dialects.shell import DialectApp
from chatpins.dialects.zim import routes as zim
from chatpins.dispatch import DialectDispatcher
from chatpins.infra.clock import SystemClock
from chatpins.infra.ids import RandomIds
from chatpins.infra.notify import LocalNotifier, RedisNotifier
from chatpins.infra.ratelimit import MemoryRateLimiter
from chatpins.infra.redis_ratelimit import RedisRateLimiter, connect
from chatpins.intake import Intake
from chatpins.settings import Settings
from chatpins.storage.database import Database
from chatpins.storage.uow import UnitOfWorkFactory
from chatpins.sweeper import PinSweeper


def build_deps(
    db: Database,
    notifier: LocalNotifier | None = None,
    *,
    app_clocks: bool = False,
    limiter: RateLimiter | None = None,
) -> Deps:
    identities: Recent[Any] = Recent()
    return Deps(
        uow=UnitOfWorkFactory(db, notifier.committed if notifier else None, identities.clear),
        clock=SystemClock(),
        limiter=limiter or MemoryRateLimiter(),
        ids=RandomIds(),
        identities=identities,
        app_clocks=app_clocks,
    )


# The webhook backlog gauge counts this far: enough to see a backlog grow, bounded per scrape.
BACKLOG_CAP = 100_000

# The dialects served beside the native API, one line each: a folder under chatpins/dialects
# whose routes module gives its app and the paths it claims.
DIALECTS: tuple[Callable[[Deps], DialectApp], ...] = (
    feishu.dialect,
    imkit.dialect,
    zim.dialect,
)


# In the order requests try them: a request is matched against every route of each router
# before it until one matches (a tenth of a native pin's CPU went there with the pins last),
# so the busiest come first. No route is shadowed by one before it (a unit test says so).
API_ROUTERS = (
    native_pins_router,
    native_chats_router,
    native_conversations_router,
    native_capabilities_router,
    provisioning_router,
    webhooks_router,
    clock_router,
    test_controls_router,
    dialect_openapi_router,
)


def build_app(
    settings: Settings, dialects: Sequence[Callable[[Deps], DialectApp]] = DIALECTS
) -> ASGIApp:
    db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    notifier = RedisNotifier(settings.redis_url) if settings.redis_url else LocalNotifier()
    # Several instances share their limits through Redis (an instance alone keeps them in
    # memory): two instances must not allow twice a vendor's rate.
    shared_limits = RedisRateLimiter(connect(settings.redis_url)) if settings.redis_url else None
    deps = build_deps(
        db, notifier, app_clocks=settings.test_controls_enabled, limiter=shared_limits
    )
    hub = EventHub(
        deps, queue_size=settings.ws_queue_size, poll_seconds=settings.events_poll_seconds
    )
    notifier.listen(hub.committed)
    keeper = StreamKeeper(settings.ws_heartbeat_seconds, settings.ws_send_timeout_seconds)
    worker = WebhookWorker(
        deps,
        DeliveryRules(settings.webhook_retry_scale, settings.webhook_pause_after),
        poll_seconds=settings.webhook_poll_seconds,
        timeout_seconds=settings.webhook_timeout_seconds,
        concurrency=settings.webhook_concurrency,
        targets=TargetPolicy.from_settings(settings),
    )
    notifier.listen(worker.committed)
    sweeper = PinSweeper(deps, poll_seconds=settings.pin_sweep_seconds)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await notifier.start()
        await worker.start()
        await sweeper.start()
        # Everything allocated so far (modules, tables, settings) lives as long as the process:
        # keep it out of the collector's full passes, which otherwise rescan it every time
        # the many short-lived objects of a busy stream trigger one.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await sweeper.stop()
            await worker.stop(settings.shutdown_grace_seconds)
            await keeper.close()
            await hub.close()
            await notifier.stop()
            if shared_limits is not None:
                await shared_limits.close()
            await db.dispose()

    # The docs are served from the package (api/docs_ui.py), not FastAPI's CDN-loaded pages.
    app = FastAPI(
        title="chatpins", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    install_docs(app)
    app.add_route("/", landing, methods=["GET"], include_in_schema=False)
    # A path with a slash too many is unknown (404 with the error body), not a bodiless 307:
    # clients of an API follow no redirects.
    app.router.redirect_slashes = False
    app.state.deps = deps
    app.state.settings = settings
    app.state.hub = hub
    app.state.stream_keeper = keeper
    app.state.webhooks = worker
    app.add_exception_handler(ChatpinsError, api_errors.core_error)
    app.add_exception_handler(RequestValidationError, api_errors.validation_error)
    app.add_exception_handler(HTTPException, api_errors.http_error)
    app.add_exception_handler(api_errors.FaultRefusal, api_errors.fault_refusal)
    api_errors.without_validation_body(app)

    @app.get("/v1/health", tags=["health"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.add_route("/livez", livez, methods=["GET"], include_in_schema=False)
    app.add_route(
        "/readyz", Readiness(db, shared_limits).readyz, methods=["GET"], include_in_schema=False
    )

    metrics = Metrics(settings)
    metrics.watch(
        "chatpins_event_stream_subscribers",
        "Open /v1/events/ws streams in this process.",
        lambda: hub.subscriber_count,
    )
    metrics.watch(
        "chatpins_webhook_deliveries_in_flight",
        "Webhook POSTs under way in this process.",
        lambda: worker.in_flight,
    )
    metrics.watch(
        "chatpins_db_pool_checked_out",
        "Database connections in use (the pool units of work take from).",
        lambda: db.pool_use().checked_out,
    )
    metrics.watch(
        "chatpins_db_pool_size",
        "Connections the database pool keeps open (it opens more under load).",
        lambda: db.pool_use().size,
    )
    metrics.measure(
        "chatpins_webhook_backlog",
        f"Webhook deliveries waiting to be sent, all apps (counted up to {BACKLOG_CAP:,}).",
        lambda: webhook_rules.backlog(deps, BACKLOG_CAP),
    )
    if shared_limits is not None:
        shared_limits.on_fallback = metrics.limit_fallbacks.inc
        metrics.watch(
            "chatpins_rate_limits_degraded",
            "1 while Redis does not answer and rate limits are counted in this process.",
            lambda: float(shared_limits.degraded),
        )
    db.commit_observers.append(metrics.committed)
    hub.on_delivered = worker.on_delivered = metrics.delivered
    app.add_route("/metrics", metrics.endpoint, include_in_schema=False)
    for router in API_ROUTERS:
        app.include_router(router)
    # Last: routes are matched in order, and no API request should try the console's first.
    if settings.console:
        install_console(app)
    # A plain Starlette route: FastAPI's dependency machinery would cost every open stream.
    app.router.routes.append(WebSocketRoute("/v1/events/ws", event_stream))
    served = [make(deps) for make in dialects]
    app.state.dialects = ["native", *(d.name for d in served if d.name)]
    app.state.dialect_openapi = DialectDocuments(served)
    dispatcher = DialectDispatcher(Intake(app, api_errors.refuse), served)
    return MetricsMiddleware(dispatcher, metrics)

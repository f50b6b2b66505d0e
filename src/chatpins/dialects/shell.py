"""The shell every dialect fills in: one way to build its app, wrap its handlers and reach the
core's dependencies. A dialect brings its routes, its gateway (who is calling), its error table
(core errors to its codes) and its envelope; nothing else is written per dialect."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from chatpins import request_context
from chatpins.core.context import Actor, Deps
from chatpins.core.errors import ChatpinsError, RateLimited
from chatpins.core.faults import Fault
from chatpins.intake import Intake, Refuse

Handler = Callable[[Request], Awaitable[Response]]
ActorHandler = Callable[[Request, Actor], Awaitable[Response]]
Authenticate = Callable[[Request], Awaitable[Actor]]
Translate = Callable[[ChatpinsError], Exception]
RefuseFault = Callable[[Fault], Exception]
ErrorHandler = Callable[[Request, Exception], Any]
E = TypeVar("E")


@dataclass(frozen=True)
class DialectApp:
    """A dialect's app and the paths it claims: its first path ``segments``, mounted (the app
    then routes below ``/<segment>``, as under a Starlette mount) or not, and the bare ``/``."""

    app: ASGIApp
    segments: frozenset[str] = frozenset()
    mounted: bool = False
    root: bool = False
    name: str = ""  # shown by ``GET /v1/capabilities``
    # Its served surface as an OpenAPI document (``GET /openapi/<name>.json``; dialects/openapi.py).
    openapi: Callable[[], dict[str, Any]] | None = None


def deps_of(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


def endpoint(
    authenticate: Authenticate, translate: Translate, refuse: RefuseFault | None = None
) -> Callable[[ActorHandler], Handler]:
    """Wrap a handler: the dialect's gateway finds the actor first, and a core error the
    handler raises leaves as the dialect's own (``translate``: its one error table; a core
    rate limit is counted as the request's refusal, see ``request_context``).

    With ``refuse`` (the dialect's rendering of a fault rule's refusal), a test's fault rule
    for the actor's app may then delay the request or refuse it before the handler runs
    (``core.faults``; rules match ``"METHOD /path"``)."""

    def wrap(handler: ActorHandler) -> Handler:
        @functools.wraps(handler)
        async def run(request: Request) -> Response:
            actor = await authenticate(request)
            if refuse is not None:
                request_line = f"{request.method} {request.scope['path']}"
                fault = await deps_of(request).faults.arrive(
                    actor.app_id, actor.dialect, request_line
                )
                if fault is not None:
                    raise refuse(fault)
            try:
                return await handler(request, actor)
            except ChatpinsError as exc:
                if isinstance(exc, RateLimited):
                    request_context.rate_limited()
                raise translate(exc) from exc

        return run

    return wrap


def build_app(
    routes: Sequence[BaseRoute],
    deps: Deps,
    *,
    errors: Mapping[Any, ErrorHandler],
    refuse: Refuse,
    outside: Callable[[ASGIApp], ASGIApp] | None = None,
) -> ASGIApp:
    """A dialect's ASGI app: its routes (matched exactly, no slash redirects: an SDK follows
    none), its error handlers, behind the intake with its refusal; ``outside`` wraps it all
    (the dialect's response headers, so even a refusal carries them)."""
    app = Starlette(routes=list(routes), exception_handlers=dict(errors))
    app.router.redirect_slashes = False
    app.state.deps = deps
    guarded = Intake(app, refuse)
    return outside(guarded) if outside is not None else guarded


class ErrorTable(Generic[E]):
    """A dialect's one table: (family, reason) → its entry (code, message, status…).

    ``family`` narrows from the endpoint (``"message.send"``) to its group (``"message"``) to
    any (``None``): the most specific entry wins. A reason without one gets the dialect's
    declared fallback (see each dialect's ``GENERIC`` set and its translate function)."""

    def __init__(self, entries: Mapping[tuple[str | None, str], E]) -> None:
        self.entries = dict(entries)

    def lookup(self, family: str | None, reason: str) -> E | None:
        if family:
            parts = family.split(".")
            for end in range(len(parts), 0, -1):
                entry = self.entries.get((".".join(parts[:end]), reason))
                if entry is not None:
                    return entry
        return self.entries.get((None, reason))

    def rows(self) -> list[tuple[str | None, str, E]]:
        return [(family, reason, entry) for (family, reason), entry in self.entries.items()]

"""Who a native request acts for: ``Authorization: Bearer`` with the app's API key (the
platform: an owner in every chat) or a native user token (that user, with their roles)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from chatpins import request_context
from chatpins.api.errors import FaultRefusal
from chatpins.core.context import Actor, Deps
from chatpins.core.errors import PermissionDenied, Reason, Unauthenticated
from chatpins.core.services import apps, tokens
from chatpins.core.services.apps import NATIVE_API_KEY_PREFIX

NATIVE = "native"

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="native",
    description="The app's API key (cpk_…) or a native user token (cpu_…)",
)


def deps_of(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


async def get_deps(request: Request) -> Deps:
    """The dependency: ``async`` because FastAPI runs a plain function dependency in its
    thread pool, a hand-over to a worker thread and back on every request."""
    return deps_of(request)


async def actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """Who the request acts for; then a test's fault rule for that app may delay the request
    or refuse it before its use case runs (``core.faults``)."""
    acting = await _authenticate(request, credentials)
    request_context.authenticated(acting.app_id)
    request_line = f"{request.method} {request.scope['path']}"
    fault = await deps_of(request).faults.arrive(acting.app_id, NATIVE, request_line)
    if fault is not None:
        raise FaultRefusal(fault)
    return acting


async def _authenticate(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Actor:
    if credentials is None or not credentials.credentials:
        raise Unauthenticated(Reason.MISSING_CREDENTIALS)
    value, deps = credentials.credentials, deps_of(request)
    if value.startswith(NATIVE_API_KEY_PREFIX):
        app, bot = await apps.authenticate_api_key(deps, value)
        return Actor(app, bot, NATIVE, is_platform=True)
    try:
        identity = await tokens.authenticate(deps, value, NATIVE)
    except Unauthenticated as exc:
        raise Unauthenticated(Reason.UNKNOWN_CREDENTIALS) from exc
    return Actor(identity.app, identity.user, NATIVE)


ActorDep = Annotated[Actor, Depends(actor)]
DepsDep = Annotated[Deps, Depends(get_deps)]


def require_platform(acting: Actor) -> None:
    """Only the app's API key may do this (create users, name another sender)."""
    if not acting.is_platform:
        raise PermissionDenied(Reason.PLATFORM_ONLY)

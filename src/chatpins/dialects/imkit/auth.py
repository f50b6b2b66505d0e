"""IMKit credentials: the platform ``IM-API-KEY``, or ``IM-CLIENT-KEY`` + a user token.

Resolution (imkit.md §3, chosen): a present ``IM-API-KEY`` must be valid (else 401
``INVALID_API_KEY``) and the call runs as the platform. Otherwise the client key is checked
first (403 ``INVALID_CLIENT_KEY``), then the token from ``IM-Authorization`` or, when that is
absent, plain ``Authorization`` (401 ``INVALID_TOKEN``); the token must be of the key's app.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Literal

from starlette.requests import Request

from chatpins import request_context
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import App
from chatpins.core.errors import Unauthenticated
from chatpins.core.services import apps, tokens, users
from chatpins.dialects import shell
from chatpins.dialects.imkit.errors import TOO_MANY, ImkitError, fail, fault_error, to_imkit
from chatpins.dialects.shell import ActorHandler, Handler, deps_of

DIALECT = "imkit"
# Vendor FAQ: 1000 requests per minute per API key (the app's api_rate_per_minute; 0 = off).
API_KEY_WINDOW_S = 60.0
RETRY_AFTER_S = 60

# Who may call an endpoint: the platform only, a user only, or either.
Access = Literal["platform", "user", "any"]


def endpoint(access: Access, family: str = "") -> Callable[[ActorHandler], Handler]:
    """Wrap a handler: credentials (and the API key's rate limit), then a test's fault rules;
    core errors → IMKit codes."""
    return shell.endpoint(
        functools.partial(authenticate, access=access),
        functools.partial(to_imkit, family=family),
        fault_error,
    )


async def authenticate(request: Request, access: Access) -> Actor:
    deps = deps_of(request)
    headers = request.headers
    api_key = headers.get("im-api-key")
    if api_key is not None:
        app = await apps.find_app_by_credential(deps, "imkit_api_key", api_key.strip())
        if app is None:
            raise fail("invalid_api_key")
        if access == "user":
            # These endpoints act as a user; the platform has none (chosen).
            raise fail("missing_parameter", "this endpoint needs IM-CLIENT-KEY and a user token")
        request_context.authenticated(app.id)
        await _check_api_key_rate(deps, app)
        bot = (await users.get_users(deps, app.id, [app.bot_user_id]))[app.bot_user_id]
        return Actor(app, bot, DIALECT, is_platform=True)
    if access == "platform":
        raise fail("invalid_api_key", "this endpoint needs IM-API-KEY")
    client_key = (headers.get("im-client-key") or "").strip()
    app = None
    if client_key:
        app = await apps.find_app_by_credential(deps, "imkit_client_key", client_key)
    if app is None:
        raise fail("invalid_client_key")
    token = headers.get("im-authorization")
    if token is None:
        token = headers.get("authorization", "")
    token = token.strip().removeprefix("Bearer ").strip()
    if not token:
        raise fail("unknown_token")
    try:
        identity = await tokens.authenticate(deps, token, DIALECT)
    except Unauthenticated as exc:
        raise to_imkit(exc, "auth") from exc
    if identity.app.id != app.id:
        raise fail("token_of_other_app")
    request_context.authenticated(app.id)
    return Actor(identity.app, identity.user, DIALECT)


async def _check_api_key_rate(deps: Deps, app: App) -> None:
    if not app.api_rate_per_minute:
        return
    wait = await deps.hit_limit(
        app, f"imkit-api-key:{app.id}", app.api_rate_per_minute, API_KEY_WINDOW_S
    )
    if wait is not None:
        request_context.rate_limited()
        message = f"{app.api_rate_per_minute} requests per minute per API key"
        raise ImkitError(TOO_MANY, message, RETRY_AFTER_S)

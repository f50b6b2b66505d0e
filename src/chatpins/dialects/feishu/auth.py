"""Access tokens (``/open-apis/auth/v3/...``) and the gateway checks every API call passes."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatpins import request_context
from chatpins.core.context import Actor
from chatpins.core.entities import TokenKind
from chatpins.core.errors import Reason, Unauthenticated
from chatpins.core.services import tokens
from chatpins.dialects import shell
from chatpins.dialects.feishu.errors import FeishuError, fault_error, to_feishu, token_error
from chatpins.dialects.feishu.wire import INVALID_TOKEN_REQUEST, read_json
from chatpins.dialects.shell import ActorHandler, Handler, deps_of
from chatpins.intake import Unreadable

_APP_ID = re.compile(r"cli_[0-9a-f]{16}")  # fullmatch: "$" would allow a trailing newline
RATE_LIMITED = "request trigger frequency limit"


async def tenant_access_token(request: Request) -> Response:
    return await _issue(request, TokenKind.TENANT)


async def app_access_token(request: Request) -> Response:
    return await _issue(request, TokenKind.APP)


async def _issue(request: Request, kind: TokenKind) -> Response:
    # Failures here are HTTP 200 with a non-zero code, as the vendor answers (observed). No
    # token ever appears in a failure: the Node SDK treats any token in the reply as success.
    try:
        data = await read_json(request)
    except Unreadable:
        data = None
    app_id = data.get("app_id") if isinstance(data, dict) else None
    secret = data.get("app_secret") if isinstance(data, dict) else None
    if not isinstance(app_id, str) or not isinstance(secret, str) or not _APP_ID.fullmatch(app_id):
        return JSONResponse(INVALID_TOKEN_REQUEST)
    try:
        issued = await tokens.issue_app_token(deps_of(request), app_id, secret, kind)
    except Unauthenticated as exc:
        msg = "app id not exists" if exc.reason is Reason.UNKNOWN_APP else "app secret invalid"
        return JSONResponse({"code": 10014, "msg": msg})
    body: dict[str, Any] = {"code": 0, "msg": "ok"}
    if kind is TokenKind.APP:
        body["app_access_token"] = issued.value
    body["tenant_access_token"] = issued.value
    body["expire"] = issued.expires_in
    return JSONResponse(body)


def endpoint(family: str) -> Callable[[ActorHandler], Handler]:
    """Wrap a handler: the gateway (token, then the app's per-endpoint rate limit, then a
    test's fault rules), and core errors to the codes of the endpoint's family."""
    return shell.endpoint(_gateway, functools.partial(to_feishu, family=family), fault_error)


async def _gateway(request: Request) -> Actor:
    actor = await authenticate(request)
    await _check_api_rate(request, actor)
    return actor


async def authenticate(request: Request) -> Actor:
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        raise token_error("missing_token")
    value = header[7:].strip()
    if value.startswith("t-"):
        kind = "app"
    elif value.startswith("u-") or value.startswith("eyJ"):
        kind = "user"
    else:
        raise token_error("malformed_token")
    try:
        identity = await tokens.authenticate(deps_of(request), value, "feishu")
    except Unauthenticated as exc:
        reason = f"{exc.reason.split('_')[0]}_{kind}_token"  # unknown_app_token, expired_user_…
        if kind == "app":
            reason = "unknown_app_token"  # an expired tenant token is just invalid (99991663)
        raise token_error(reason) from exc
    request_context.authenticated(identity.app.id)
    return Actor(identity.app, identity.user, "feishu", requires_app_bot=True)


async def _check_api_rate(request: Request, actor: Actor) -> None:
    """Feishu's app-level tier for every endpoint here: 50/s and 1000/min, per API per app."""
    route = request.scope.get("route")
    # Not ``getattr(route, "path", request.url.path)``: its default, a URL object, would be
    # built on every request.
    path = route.path if route is not None else request.scope["path"]
    api = f"{request.method} {path}"
    deps = deps_of(request)
    for limit, window in (
        (actor.app.api_rate_per_second, 1.0),
        (actor.app.api_rate_per_minute, 60.0),
    ):
        if not limit:
            continue
        wait = await deps.hit_limit(actor.app, f"api:{actor.app_id}:{api}:{window}", limit, window)
        if wait is not None:
            request_context.rate_limited()
            raise FeishuError(
                99991400,
                RATE_LIMITED,
                status=429,
                headers={
                    "x-ogw-ratelimit-limit": str(limit),
                    "x-ogw-ratelimit-reset": str(max(1, math.ceil(wait))),
                },
            )

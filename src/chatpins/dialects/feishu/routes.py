"""The Feishu sub-application, mounted at ``/open-apis``."""

from __future__ import annotations

import functools

import structlog
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from chatpins.core.context import Deps
from chatpins.dialects.feishu import auth, chats, messages, openapi, pins
from chatpins.dialects.feishu.errors import FeishuError
from chatpins.dialects.feishu.wire import canonical_headers, error_response, refuse
from chatpins.dialects.shell import DialectApp, build_app

log = structlog.get_logger(__name__)

_TOKEN_ROUTES = [
    ("/auth/v3/tenant_access_token/internal", auth.tenant_access_token),
    ("/auth/v3/app_access_token/internal", auth.app_access_token),
]

ROUTES = [
    # The vendor accepts a trailing slash on the token paths (observed).
    *(
        Route(path + slash, fn, methods=["POST"])
        for path, fn in _TOKEN_ROUTES
        for slash in ("", "/")
    ),
    Route("/im/v1/chats", chats.create_chat, methods=["POST"]),
    Route("/im/v1/chats/{chat_id}", chats.get_chat, methods=["GET"]),
    Route("/im/v1/chats/{chat_id}", chats.update_chat, methods=["PUT"]),
    Route("/im/v1/chats/{chat_id}", chats.dissolve_chat, methods=["DELETE"]),
    Route("/im/v1/chats/{chat_id}/members", chats.add_members, methods=["POST"]),
    Route("/im/v1/chats/{chat_id}/members", chats.remove_members, methods=["DELETE"]),
    Route("/im/v1/chats/{chat_id}/members", chats.list_members, methods=["GET"]),
    Route("/im/v1/chats/{chat_id}/members/is_in_chat", chats.is_in_chat, methods=["GET"]),
    Route("/im/v1/chats/{chat_id}/managers/add_managers", chats.add_managers, methods=["POST"]),
    Route(
        "/im/v1/chats/{chat_id}/managers/delete_managers", chats.delete_managers, methods=["POST"]
    ),
    Route("/im/v1/messages", messages.create_message, methods=["POST"]),
    Route("/im/v1/messages/{message_id}", messages.get_message, methods=["GET"]),
    Route("/im/v1/messages/{message_id}", messages.recall_message, methods=["DELETE"]),
    Route("/im/v1/pins", pins.create_pin, methods=["POST"]),
    Route("/im/v1/pins", pins.list_pins, methods=["GET"]),
    Route("/im/v1/pins/{message_id}", pins.delete_pin, methods=["DELETE"]),
]


async def _feishu_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FeishuError)
    return error_response(exc)


async def _http_error(_request: Request, exc: Exception) -> Response:
    # The SDK cannot parse a non-JSON body: unknown paths and methods answer JSON (chosen).
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return JSONResponse({"code": 99991301, "msg": "method not allowed"}, status_code=405)
    if exc.status_code == 404:
        return JSONResponse({"code": 99991201, "msg": "resource not found"}, status_code=404)
    return JSONResponse({"code": 230001, "msg": str(exc.detail)}, status_code=400)


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.exception("feishu_internal_error", path=request.url.path, exc_info=exc)
    return JSONResponse({"code": 99991500, "msg": "internal server error"}, status_code=500)


def dialect(deps: Deps) -> DialectApp:
    """Feishu's open platform, mounted at ``/open-apis``."""
    return DialectApp(
        build_feishu_app(deps),
        frozenset({"open-apis"}),
        mounted=True,
        name="feishu",
        openapi=functools.partial(openapi.document, ROUTES),
    )


def build_feishu_app(deps: Deps) -> ASGIApp:
    # The vendor's header casing outermost, so even a refusal or a 500 carries it.
    return build_app(
        ROUTES,
        deps,
        errors={FeishuError: _feishu_error, HTTPException: _http_error, Exception: _internal_error},
        refuse=refuse,
        outside=canonical_headers,
    )

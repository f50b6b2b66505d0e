"""Feishu's envelope: reading bodies, writing replies, the header casing lark-oapi needs."""

from __future__ import annotations

import secrets
import time
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Scope

from chatpins.dialects.asgi import Headers, RewriteResponseHeaders
from chatpins.dialects.feishu.errors import FeishuError, invalid
from chatpins.intake import Unreadable, first_query_values, load_json

M = TypeVar("M", bound=BaseModel)


def ok(data: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse({"code": 0, "msg": "success", "data": data if data is not None else {}})


def error_response(error: FeishuError) -> JSONResponse:
    body: dict[str, Any] = {"code": error.code, "msg": error.msg}
    if error.data is not None:
        body["data"] = error.data
    elif error.status == 400 and error.code >= 230000:
        body["error"] = {"log_id": new_log_id(), "troubleshooter": ""}
    return JSONResponse(body, status_code=error.status, headers=error.headers)


async def read_json(request: Request) -> Any:
    """The body as JSON by the intake's rules. No body reads as ``{}`` (the SDK's token call
    sends none); a body of whitespace is no JSON, so an invalid parameter."""
    return load_json(await request.body() or b"{}")


async def parse_body(request: Request, model: type[M], family: str) -> M:
    """Parse a JSON body whatever the Content-Type (the SDK's token call sends none)."""
    try:
        data = await read_json(request)
        if not isinstance(data, dict):
            raise invalid(family)
        return model.model_validate(data)
    except (Unreadable, ValidationError) as exc:
        raise invalid(family) from exc


def parse_query(request: Request, model: type[M], family: str) -> M:
    try:
        return model.model_validate(first_query_values(request))
    except ValidationError as exc:
        raise invalid(family) from exc


def refuse(scope: Scope, _problem: Unreadable) -> Response:
    """A request the intake will not read: the invalid-parameter answer of its API group
    (the token endpoints answer HTTP 200 ``10003``, as they do for any bad body)."""
    path: str = scope["path"]
    if path.startswith(f"{scope.get('root_path', '')}/auth/"):
        return JSONResponse(INVALID_TOKEN_REQUEST)
    family = "chat" if "/im/v1/chats" in path else "message"
    return error_response(invalid(family))


# The token endpoints' answer to a body they cannot use (observed).
INVALID_TOKEN_REQUEST = {"code": 10003, "data": {}, "msg": "invalid param"}


def new_log_id() -> str:
    return time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(10).upper()


_JSON_TYPE = b"application/json; charset=utf-8"


def canonical_headers(app: ASGIApp) -> ASGIApp:
    """``X-Tt-Logid`` on every reply, and ``Content-Type`` in canonical case.

    lark-oapi copies response headers into a plain dict and looks up exactly ``X-Tt-Logid`` and
    ``Content-Type``. Starlette writes header names in lower case; uvicorn's h11 server sends
    them as given (its httptools server lower-cases them, so ``serve`` runs h11).
    """
    return RewriteResponseHeaders(app, _canonical)


def _canonical(headers: Headers) -> Headers:
    rewritten = [
        (b"Content-Type", _JSON_TYPE if value == b"application/json" else value)
        if name == b"content-type"
        else (name, value)
        for name, value in headers
    ]
    rewritten.append((b"X-Tt-Logid", new_log_id().encode()))
    return rewritten

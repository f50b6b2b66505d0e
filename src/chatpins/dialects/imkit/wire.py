"""IMKit's envelope: ``{RC, RM, result}``, errors with HTTP status == RC, body parsing, CORS."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from chatpins.dialects.asgi import RewriteResponseHeaders
from chatpins.dialects.imkit.errors import ImkitError, fail
from chatpins.intake import Unreadable, first_query_values
from chatpins.intake import read_json as read_any_json

M = TypeVar("M", bound=BaseModel)

# Error texts the vendor docs' examples show.
_FIXED_MESSAGES = {
    "INVALID_TOKEN": "Invalid or expired token",
    "INVALID_API_KEY": "Invalid API key",
    "INVALID_CLIENT_KEY": "Invalid client key",
}
# Pydantic error types that mean "a required field is absent or empty".
_MISSING = {"missing", "string_too_short"}


def ok(result: Any) -> JSONResponse:
    return JSONResponse({"RC": 0, "RM": "OK", "result": result})


def page(data: list[Any], total: int, **extra: Any) -> JSONResponse:
    return ok({"totalCount": total, "data": data, **extra})


def error_response(error: ImkitError) -> JSONResponse:
    detail: dict[str, Any] = {
        "code": error.code,
        "message": _FIXED_MESSAGES.get(error.code, error.message),
    }
    headers = {}
    if error.retry_after is not None:
        detail["retryAfter"] = error.retry_after
        headers["Retry-After"] = str(error.retry_after)
    body = {"RC": error.status, "RM": error.rm, "error": detail}
    return JSONResponse(body, status_code=error.status, headers=headers)


async def read_json(request: Request) -> Any:
    """The JSON body (``None`` when empty), as the intake allows it."""
    try:
        return await read_any_json(request, empty=None)
    except Unreadable as exc:
        raise unreadable(exc) from exc


def unreadable(problem: Unreadable) -> ImkitError:
    reason = "body_too_large" if problem.reason == "body_too_large" else "invalid_body"
    return fail(reason, problem.message)


def refuse(_scope: Scope, problem: Unreadable) -> Response:
    return error_response(unreadable(problem))


async def parse_body(request: Request, model: type[M]) -> M:
    """Parse a JSON object body; no body and ``null`` read as ``{}`` (imkit.md §1)."""
    data = await read_json(request)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise fail("invalid_body", "body must be a JSON object")
    return validate(model, data)


def validate(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        wrong = [e for e in errors if e["type"] not in _MISSING]
        first = (wrong or errors)[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        reason = "invalid_body" if wrong else "missing_parameter"
        raise fail(reason, f"{where}: {first.get('msg', 'invalid')}") from exc


def query(request: Request, model: type[M]) -> M:
    try:
        return model.model_validate(first_query_values(request))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "query"
        raise fail("invalid_body", f"{where}: {first.get('msg', 'invalid')}") from exc


_CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, POST, PUT, DELETE, OPTIONS"),
    (
        b"access-control-allow-headers",
        b"IM-CLIENT-KEY, IM-Authorization, IM-API-KEY, IM-CLIENT-ID, Authorization, "
        b"Content-Type, x-timezone, accept-language",
    ),
    (b"access-control-max-age", b"600"),
]


class Cors:
    """Browser SDKs call IMKit directly: answer every preflight (``OPTIONS``) with 204 and
    allow any origin on every reply (chosen; imkit.md §1)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = RewriteResponseHeaders(app, lambda headers: [*headers, _CORS_HEADERS[0]])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            await Response(status_code=204, headers=dict(_decoded()))(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _decoded() -> list[tuple[str, str]]:
    return [(k.decode(), v.decode()) for k, v in _CORS_HEADERS]

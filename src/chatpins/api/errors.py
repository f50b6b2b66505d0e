"""Native API errors: ``{"error": {"code", "reason", "message"}}`` with an HTTP status per
error type. ``code`` is the reason, except that every unknown id is ``not_found`` (another
app's ids included); ``reason`` always names the rule.

The OpenAPI document declares this body (:class:`ErrorBody`) for the statuses each route can
answer (:func:`responses`); invalid input is 400 here, never FastAPI's 422 validation body.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from chatpins import request_context
from chatpins.core import errors
from chatpins.core.faults import Fault
from chatpins.intake import Unreadable

STATUS: dict[type[errors.ChatpinsError], int] = {
    errors.InvalidArgument: 400,
    errors.Unauthenticated: 401,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Gone: 410,
    errors.PreconditionFailed: 412,
    errors.LimitExceeded: 422,
    errors.Unsupported: 422,
    errors.RateLimited: 429,
}


class ErrorDetail(BaseModel):
    code: str
    reason: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


_MEANING = {
    400: "Invalid input: a malformed body, parameter or value out of range",
    401: "Missing or wrong admin key",
    403: "Not allowed",
    404: "No such app or resource",
    409: "Conflicts with an existing resource",
    410: "The resource is gone",
    412: "The version given (If-Match, expected_version) is not the current one",
    413: "The body is larger than 1 MiB",
    422: "A limit is reached or the change is not supported",
    429: "Too many requests",
}


def responses(
    *errors: int,
    reply: type[BaseModel] | None = None,
    status: int = 200,
    also: tuple[int, ...] = (),
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=``: each error status with the error body, and the reply's model
    under the route's own status (and the ``also`` statuses: a PUT answers 201 when it made
    something, 200 when it was there already). Documented only: the route's reply is not
    filtered by it."""
    documented: dict[int | str, dict[str, Any]] = {
        error: {"model": ErrorBody, "description": _MEANING[error]} for error in errors
    }
    if reply is not None:
        for code in (status, *also):
            documented[code] = {"model": reply}
    return documented


def _body(code: str, message: str, reason: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "reason": reason or code, "message": message}}


def describe(exc: errors.ChatpinsError) -> tuple[int, dict[str, Any]]:
    """A core error's status and its ``{"code", "reason", "message"}``."""
    status = next((s for t, s in STATUS.items() if isinstance(exc, t)), 400)
    code = "not_found" if isinstance(exc, errors.NotFound) else exc.reason
    return status, _body(code, exc.detail or exc.reason, exc.reason)["error"]


async def core_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.ChatpinsError)
    if isinstance(exc, errors.RateLimited):
        request_context.rate_limited()
    status, fields = describe(exc)
    return JSONResponse({"error": fields}, status_code=status)


class FaultRefusal(Exception):
    """A native request refused by a test's fault rule (``core.faults``): its HTTP status with
    the error body, code and reason ``injected_fault``."""

    def __init__(self, fault: Fault) -> None:
        self.status = fault.http_status or 500
        super().__init__(f"refused by a fault rule (HTTP {self.status})")


async def fault_refusal(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FaultRefusal)
    return JSONResponse(_body("injected_fault", str(exc)), status_code=exc.status)


async def validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return JSONResponse(
        _body("invalid_argument", f"{where}: {first.get('msg', 'invalid')}"), status_code=400
    )


async def http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return JSONResponse(_body(code, str(exc.detail)), status_code=exc.status_code)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}


def refuse(_scope: Scope, problem: Unreadable) -> Response:
    """The intake's refusal (a body over 1 MiB, NUL in the path or query), before any
    credential is checked or any body parsed."""
    status = 413 if problem.reason == "body_too_large" else 400
    return JSONResponse(_body(problem.reason, problem.message), status_code=status)


def without_validation_body(app: FastAPI) -> None:
    """Document 413 on every route that takes a body, and leave FastAPI's 422
    ``HTTPValidationError`` out of the app's OpenAPI document: invalid
    input is answered by :func:`validation_error` with 400 and the error body, which every
    route declares. FastAPI adds that 422 to any route with parameters unless the route
    declares a 422 of its own, and has no switch for it."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()  # cached by FastAPI as app.openapi_schema: changed in place once
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                replies = operation.get("responses", {}) if isinstance(operation, dict) else {}
                if _is_validation_body(replies.get("422")):
                    del replies["422"]
                # Every body passes the intake, which refuses one over 1 MiB before anything
                # else (``body_problem``): a route that takes a body can answer 413.
                if isinstance(operation, dict) and "requestBody" in operation:
                    replies.setdefault("413", _TOO_LARGE)
        components = schema.get("components", {}).get("schemas", {})
        for name in _VALIDATION_SCHEMAS:
            components.pop(name, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_TOO_LARGE = {
    "description": _MEANING[413],
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}


def _is_validation_body(reply: Any) -> bool:
    if not isinstance(reply, dict):
        return False
    schema = reply.get("content", {}).get("application/json", {}).get("schema", {})
    return str(schema.get("$ref", "")).endswith("/HTTPValidationError")

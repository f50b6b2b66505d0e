"""Native API errors: ``{"error": {"code": <reason>, "message": ...}}`` with an HTTP status
per error type."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from chatpins.core import errors

STATUS: dict[type[errors.ChatpinsError], int] = {
    errors.InvalidArgument: 400,
    errors.Unauthenticated: 401,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Gone: 410,
    errors.LimitExceeded: 422,
    errors.Unsupported: 422,
    errors.RateLimited: 429,
}


def _body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


async def core_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.ChatpinsError)
    status = next((s for t, s in STATUS.items() if isinstance(exc, t)), 400)
    return JSONResponse(_body(exc.reason, exc.detail or exc.reason), status_code=status)


async def validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return JSONResponse(
        _body("invalid_argument", f"{where}: {first.get('msg', 'invalid')}"), status_code=400
    )


async def http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return JSONResponse(_body(code, str(exc.detail)), status_code=exc.status_code)

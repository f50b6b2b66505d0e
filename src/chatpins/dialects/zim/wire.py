"""ZIM's envelope: HTTP 200 always, ``Code``/``Message``/``RequestId`` always (zim.md §3)."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from chatpins.dialects.zim.errors import ZimError, all_failed_code, error, message_for
from chatpins.intake import Unreadable
from chatpins.intake import read_json as read_any_json


def request_id() -> str:
    """Like the vendor's: a decimal string of 18 digits."""
    return str(10**17 + secrets.randbelow(9 * 10**17))


def reply(code: int, message: str, fields: dict[str, Any] | None = None) -> JSONResponse:
    body = {"Code": code, "Message": message, "RequestId": request_id(), **(fields or {})}
    return JSONResponse(body, status_code=200)


def ok(**fields: Any) -> JSONResponse:
    return reply(0, "success", fields)


def error_reply(exc: ZimError) -> JSONResponse:
    return reply(exc.code, exc.message, exc.fields)


def batch(
    list_name: str, failures: list[dict[str, Any]], attempted: int, **fields: Any
) -> JSONResponse:
    """The partial-success rule: ≥ 1 item done → Code 0 with the failures listed; every item
    failed → the items' shared SubCode (else 660000001), every item listed."""
    if attempted and len(failures) >= attempted:
        code = all_failed_code([f["SubCode"] for f in failures])
        raise ZimError(code, message_for(code), {list_name: failures, **fields})
    return ok(**{list_name: failures}, **fields)


async def read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object, whatever the Content-Type says (unconfirmed choice)."""
    try:
        data = await read_any_json(request, empty={})
    except Unreadable as exc:
        raise unreadable(exc) from exc
    if not isinstance(data, dict):
        raise error("invalid_param", "the body is not a JSON object")
    return data


def unreadable(problem: Unreadable) -> ZimError:
    reason = "body_unreadable" if problem.reason == "body_too_large" else "invalid_param"
    return error(reason, problem.message)

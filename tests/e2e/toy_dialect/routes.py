"""The toy dialect's wire: ``POST /toy/pins`` with ``{"message_id": …}`` and the app's IMKit
client key in ``X-Toy-Key``; it acts as the app's bot. Replies ``{"pinned": id}`` or
``{"error": reason}`` with a status from its one error table."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from chatpins.core.context import Actor, Deps
from chatpins.core.errors import ChatpinsError, Reason
from chatpins.core.services import apps, pins, users
from chatpins.dialects.shell import DialectApp, ErrorTable, build_app, deps_of, endpoint
from chatpins.intake import Unreadable, read_json

# (family, reason) -> HTTP status; anything else is a 400.
TABLE: ErrorTable[int] = ErrorTable(
    {
        (None, Reason.MESSAGE_NOT_FOUND): 404,
        (None, Reason.MAY_NOT_PIN): 403,
        (None, "unknown_key"): 401,
    }
)


class ToyError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = TABLE.lookup("pin", reason) or 400


def translate(error: ChatpinsError) -> Exception:
    return ToyError(error.reason)


async def authenticate(request: Request) -> Actor:
    deps = deps_of(request)
    app = await apps.find_app_by_credential(
        deps, "imkit_client_key", request.headers.get("x-toy-key", "")
    )
    if app is None:
        raise ToyError("unknown_key")
    bot = (await users.get_users(deps, app.id, [app.bot_user_id]))[app.bot_user_id]
    return Actor(app, bot, "toy")


@endpoint(authenticate, translate)
async def pin(request: Request, actor: Actor) -> Response:
    try:
        body = await read_json(request, empty={})
    except Unreadable as exc:
        raise ToyError(exc.reason) from exc
    message_id = body.get("message_id") if isinstance(body, dict) else None
    if not isinstance(message_id, str):
        raise ToyError("invalid_body")
    pinned = await pins.pin_message(deps_of(request), actor, message_id)
    return JSONResponse({"pinned": pinned.message_id})


async def _toy_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ToyError)
    return JSONResponse({"error": exc.reason}, status_code=exc.status)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": "no_route"}, status_code=exc.status_code)


def _refuse(_scope: Scope, problem: Unreadable) -> Response:
    return JSONResponse({"error": problem.reason}, status_code=400)


def dialect(deps: Deps) -> DialectApp:
    app = build_app(
        [Route("/toy/pins", pin, methods=["POST"])],
        deps,
        errors={ToyError: _toy_error, HTTPException: _http_error},
        refuse=_refuse,
    )
    return DialectApp(app, frozenset({"toy"}))

"""The IMKit sub-application, served at the root for the paths in ``PREFIXES``.

Every path answers with and without a trailing slash (the vendor's examples use both).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import structlog
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from chatpins.core.context import Deps
from chatpins.dialects.imkit import clients, messages, openapi, rooms
from chatpins.dialects.imkit.errors import INTERNAL, METHOD, ROUTE, ImkitError
from chatpins.dialects.imkit.wire import Cors, error_response, refuse
from chatpins.dialects.shell import DialectApp, build_app

log = structlog.get_logger(__name__)

# First path segments that belong to IMKit (IMKit paths have no version prefix).
PREFIXES = frozenset({"admin", "me", "rooms", "messages"})

_ENDPOINTS = [
    ("POST", "/admin/clients", clients.upsert_client),
    ("PUT", "/admin/clients/{client_id}/token", clients.bind_token),
    ("DELETE", "/admin/clients/{client_id}/token", clients.revoke_tokens),
    ("GET", "/me", clients.me),
    ("POST", "/rooms", rooms.create_room),
    ("GET", "/rooms", rooms.list_rooms),
    ("POST", "/rooms/createAndJoin", rooms.create_and_join),
    ("GET", "/rooms/{room_id}", rooms.get_room),
    ("PUT", "/rooms/{room_id}", rooms.update_room),
    ("POST", "/rooms/{room_id}/members", rooms.add_members),
    ("POST", "/rooms/{room_id}/join", rooms.join),
    ("POST", "/rooms/{room_id}/delete/members", rooms.remove_members),
    ("PUT", "/rooms/{room_id}/member/{client_id}", rooms.set_member),
    ("POST", "/rooms/{room_id}/message", messages.send_as_user),
    ("GET", "/rooms/{room_id}/messages/v3", messages.list_messages),
    ("POST", "/messages", messages.send_as_platform),
    ("POST", "/messages/{message_id}/pin", messages.pin),
    ("DELETE", "/messages/{message_id}/pin", messages.unpin),
]


def _routes() -> Iterator[Route]:
    for method, path, handler in _ENDPOINTS:
        for slash in ("", "/"):
            yield Route(path + slash, handler, methods=[method])


async def _imkit_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ImkitError)
    return error_response(exc)


async def _http_error(_request: Request, exc: Exception) -> Response:
    # Unknown paths and methods answer IMKit's JSON envelope too, never HTML (chosen).
    assert isinstance(exc, HTTPException)
    entry = {404: ROUTE, 405: METHOD}.get(exc.status_code)
    if entry is None:
        return error_response(ImkitError((exc.status_code, "Bad Request", "INVALID_BODY")))
    return error_response(ImkitError(entry))


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.exception("imkit_internal_error", path=request.url.path, exc_info=exc)
    return error_response(ImkitError(INTERNAL, "internal server error"))


def dialect(deps: Deps) -> DialectApp:
    """IMKit's REST API at the root, for its own first path segments."""
    return DialectApp(
        build_imkit_app(deps),
        PREFIXES,
        name="imkit",
        openapi=functools.partial(openapi.document, list(_routes())),
    )


def build_imkit_app(deps: Deps) -> ASGIApp:
    return build_app(
        list(_routes()),
        deps,
        errors={ImkitError: _imkit_error, HTTPException: _http_error, Exception: _internal_error},
        refuse=refuse,
        outside=Cors,
    )

"""IMKit's served surface as OpenAPI (``GET /openapi/imkit.json``), from the route table.

What the route table cannot say, per route: a summary, the request models (``schemas.py``),
the reply (``openapi_models.py``: the shapes ``render.py`` writes) and who may call it (the
``access`` its ``@endpoint`` names), which picks the credentials. The codes come from
``errors.py``; IMKit names an error by its HTTP status (status == ``RC``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from starlette.routing import BaseRoute

from chatpins.dialects import openapi
from chatpins.dialects.imkit import errors
from chatpins.dialects.imkit.auth import Access
from chatpins.dialects.imkit.openapi_models import (
    Client,
    Failure,
    Message,
    MessagePage,
    Ok,
    Revoked,
    Room,
    RoomPage,
    TokenBound,
    User,
)
from chatpins.dialects.imkit.schemas import (
    ClientBody,
    CreateAndJoinBody,
    InviteBody,
    JoinBody,
    MemberPropertyBody,
    MessageListQuery,
    PlatformMessageBody,
    RemoveMembersBody,
    RoomCreateBody,
    RoomListQuery,
    RoomUpdateBody,
    TokenBindBody,
    TokenRevokeBody,
    UserMessageBody,
)
from chatpins.dialects.openapi import Answer, Code, Wire


@dataclass(frozen=True)
class Doc(Wire):
    """A route's summary and models, and ``access``: who its ``@endpoint`` lets call it."""

    access: Access = "any"


# Route (as in ``routes._ENDPOINTS``) -> what the route table cannot say.
OPERATIONS: dict[str, Doc] = {
    "POST /admin/clients": Doc(
        "Create or update a user, and issue or bind its token",
        access="platform",
        body=ClientBody,
        reply=Ok[Client],
    ),
    "PUT /admin/clients/{client_id}/token": Doc(
        "Bind a token to a user", access="platform", body=TokenBindBody, reply=Ok[TokenBound]
    ),
    "DELETE /admin/clients/{client_id}/token": Doc(
        "Revoke one token of a user, or all of them",
        access="platform",
        body=TokenRevokeBody,
        reply=Ok[Revoked],
    ),
    "GET /me": Doc("The token's user", access="user", reply=Ok[User]),
    "POST /rooms": Doc(
        "Create a room (re-posting an `_id` updates it)", body=RoomCreateBody, reply=Ok[Room]
    ),
    "GET /rooms": Doc("List the caller's rooms", query=RoomListQuery, reply=Ok[RoomPage]),
    "POST /rooms/createAndJoin": Doc(
        "Create a room and join it", access="user", body=CreateAndJoinBody, reply=Ok[Room]
    ),
    "GET /rooms/{room_id}": Doc("Get a room", reply=Ok[Room]),
    "PUT /rooms/{room_id}": Doc("Update a room", body=RoomUpdateBody, reply=Ok[Room]),
    "POST /rooms/{room_id}/members": Doc("Add members", body=InviteBody, reply=Ok[Room]),
    "POST /rooms/{room_id}/join": Doc("Join a room", access="user", body=JoinBody, reply=Ok[Room]),
    "POST /rooms/{room_id}/delete/members": Doc(
        "Remove members (your own id: leave)", body=RemoveMembersBody, reply=Ok[Room]
    ),
    "PUT /rooms/{room_id}/member/{client_id}": Doc(
        "Set a member's property (`role`: admin or member)",
        body=MemberPropertyBody,
        reply=Ok[Room],
    ),
    "POST /rooms/{room_id}/message": Doc(
        "Send, edit (`_id`) or recall (`messageType: recall`) a message as the token's user",
        access="user",
        body=UserMessageBody,
        reply=Ok[Message],
    ),
    "GET /rooms/{room_id}/messages/v3": Doc(
        "List a room's messages", query=MessageListQuery, reply=Ok[MessagePage]
    ),
    "POST /messages": Doc(
        "Send a message as `sender`", access="platform", body=PlatformMessageBody, reply=Ok[Message]
    ),
    "POST /messages/{message_id}/pin": Doc(
        "Pin a message",
        reply=Ok[Message],
        notes="No body. One pinned message per room: a new pin replaces the old. Pinning the "
        "pinned message changes nothing.",
    ),
    "DELETE /messages/{message_id}/pin": Doc(
        "Unpin a message",
        reply=Ok[Message],
        notes="No body. A message that is not pinned unpins successfully.",
    ),
}

_API_KEY = "IM-API-KEY"
_CLIENT_KEY = "IM-CLIENT-KEY"
_TOKEN = "IM-Authorization"
_SECURITY = {
    _API_KEY: {
        "type": "apiKey",
        "in": "header",
        "name": _API_KEY,
        "description": "The platform API key (a secret): the call acts as the platform.",
    },
    _CLIENT_KEY: {
        "type": "apiKey",
        "in": "header",
        "name": _CLIENT_KEY,
        "description": "The app's public client key; always with a user token.",
    },
    _TOKEN: {
        "type": "apiKey",
        "in": "header",
        "name": _TOKEN,
        "description": "A user's token, raw (plain `Authorization` is read when this is "
        "absent): the call acts as that user.",
    },
}
_ACCESS: dict[str, list[dict[str, list[str]]]] = {
    "platform": [{_API_KEY: []}],
    "user": [{_CLIENT_KEY: [], _TOKEN: []}],
    "any": [{_API_KEY: []}, {_CLIENT_KEY: [], _TOKEN: []}],
}
_SUMMARY = """\
IMKit's Chat Server REST API (rooms, members, messages, users and tokens, pin and unpin) as
chatpins serves it at the root of the host; every path also answers with a trailing slash.
Generated from the dialect's route table; what is and is not emulated is in
`docs/coverage.md`, the choices in `docs/imkit.md`.

Success: HTTP 200 `{"RC": 0, "RM": "OK", "result": …}`. An error's HTTP status is its `RC`,
the body `{"RC", "RM", "error": {"code", "message"}}`; 401 is only ever a bad token or API key
(SDKs refresh the token on it). The error table is not split by endpoint: each operation lists
every code it holds."""


def document(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    answers = _answers()
    operations = openapi.route_operations(
        routes,
        OPERATIONS,
        "dialects/imkit/openapi.py OPERATIONS",
        lambda doc: (_ACCESS[doc.access], answers),
    )
    return openapi.build(openapi.Description("chatpins: IMKit", _SUMMARY, operations, _SECURITY))


def _answers() -> list[Answer]:
    by_status: dict[int, list[Code]] = {}
    for status, rm, code in codes():
        by_status.setdefault(status, []).append((code, rm))
    return [
        Answer(status, HTTPStatus(status).phrase, Failure, by_status[status])
        for status in sorted(by_status)
    ]


def codes() -> list[tuple[int, str, str]]:
    """Every (status, RM, code) the error table answers."""
    reasons = {reason for _family, reason, _status, _rm, _code in errors.codes()}
    found = {errors.lookup("", reason) for reason in reasons}
    return [entry for entry in found if entry is not None]

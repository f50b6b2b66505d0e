"""Feishu's served surface as OpenAPI (``GET /openapi/feishu.json``), from ``routes.ROUTES``.

What the route table cannot say, per route: a summary, the request models (``schemas.py``),
the reply (``openapi_models.py``: the shapes ``render.py`` writes) and the error family its
``@endpoint`` names, whose codes come from ``errors.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from starlette.routing import BaseRoute

from chatpins.dialects import openapi
from chatpins.dialects.feishu import errors
from chatpins.dialects.feishu.auth import RATE_LIMITED
from chatpins.dialects.feishu.openapi_models import (
    AppTokenReply,
    Chat,
    Empty,
    Failure,
    InChat,
    Managers,
    MemberPage,
    MembersAdded,
    MembersRemoved,
    Message,
    MessageItems,
    Ok,
    PinData,
    PinPage,
    TenantTokenReply,
    TokenBody,
)
from chatpins.dialects.feishu.schemas import (
    ChatCreateBody,
    ChatCreateQuery,
    ChatSettings,
    IdListBody,
    ManagersBody,
    MemberIdTypeQuery,
    MemberListQuery,
    MessageCreateBody,
    MessageCreateQuery,
    PinBody,
    PinListQuery,
    UserIdTypeQuery,
)
from chatpins.dialects.feishu.wire import INVALID_TOKEN_REQUEST
from chatpins.dialects.openapi import Answer, Code, Wire

PREFIX = "/open-apis"  # the dialect's mount (routes.dialect)


@dataclass(frozen=True)
class Doc(Wire):
    """A route's summary and models, and ``family``: the error family of its ``@endpoint``
    (``"auth"`` for the token routes, which have none)."""

    family: str = "auth"


_TOKEN_NOTES = (
    "No `Authorization`. Failures are HTTP 200 with a non-zero `code`; no token ever appears "
    "in one. A trailing slash on the path is accepted."
)

# Route (as in ``routes.ROUTES``, below the mount) -> what the route table cannot say.
OPERATIONS: dict[str, Doc] = {
    "POST /auth/v3/tenant_access_token/internal": Doc(
        "Get a tenant_access_token (self-built app)",
        body=TokenBody,
        reply=TenantTokenReply,
        notes=_TOKEN_NOTES,
    ),
    "POST /auth/v3/app_access_token/internal": Doc(
        "Get an app_access_token (self-built app)",
        body=TokenBody,
        reply=AppTokenReply,
        notes=_TOKEN_NOTES,
    ),
    "POST /im/v1/chats": Doc(
        "Create a chat",
        family="chat.create",
        query=ChatCreateQuery,
        body=ChatCreateBody,
        reply=Ok[Chat],
        notes="`pin_manage_setting` (`only_owner` | `all_members`) says who may pin.",
    ),
    "GET /im/v1/chats/{chat_id}": Doc(
        "Get a chat", family="chat.get", query=UserIdTypeQuery, reply=Ok[Chat]
    ),
    "PUT /im/v1/chats/{chat_id}": Doc(
        "Update a chat",
        family="chat.update",
        query=UserIdTypeQuery,
        body=ChatSettings,
        reply=Ok[Empty],
    ),
    "DELETE /im/v1/chats/{chat_id}": Doc(
        "Dissolve a chat", family="chat.dissolve", reply=Ok[Empty]
    ),
    "POST /im/v1/chats/{chat_id}/members": Doc(
        "Add members to a chat",
        family="chat.members",
        query=MemberIdTypeQuery,
        body=IdListBody,
        reply=Ok[MembersAdded],
    ),
    "DELETE /im/v1/chats/{chat_id}/members": Doc(
        "Remove members from a chat",
        family="chat.members",
        query=MemberIdTypeQuery,
        body=IdListBody,
        reply=Ok[MembersRemoved],
    ),
    "GET /im/v1/chats/{chat_id}/members": Doc(
        "List a chat's members (bots are not listed)",
        family="chat.members",
        query=MemberListQuery,
        reply=Ok[MemberPage],
    ),
    "GET /im/v1/chats/{chat_id}/members/is_in_chat": Doc(
        "Is the operator in the chat", family="chat.members", reply=Ok[InChat]
    ),
    "POST /im/v1/chats/{chat_id}/managers/add_managers": Doc(
        "Make members managers",
        family="chat.managers",
        query=MemberIdTypeQuery,
        body=ManagersBody,
        reply=Ok[Managers],
    ),
    "POST /im/v1/chats/{chat_id}/managers/delete_managers": Doc(
        "Take managers back to members",
        family="chat.managers",
        query=MemberIdTypeQuery,
        body=ManagersBody,
        reply=Ok[Managers],
    ),
    "POST /im/v1/messages": Doc(
        "Send a message",
        family="message.send",
        query=MessageCreateQuery,
        body=MessageCreateBody,
        reply=Ok[Message],
    ),
    "GET /im/v1/messages/{message_id}": Doc(
        "Get a message", family="message.get", reply=Ok[MessageItems]
    ),
    "DELETE /im/v1/messages/{message_id}": Doc(
        "Recall a message",
        family="message.recall",
        reply=Ok[Empty],
        notes="Recalling twice succeeds.",
    ),
    "POST /im/v1/pins": Doc(
        "Pin a message",
        family="message.pin",
        body=PinBody,
        reply=Ok[PinData],
        notes="Pinning a pinned message returns the existing pin, unchanged.",
    ),
    "GET /im/v1/pins": Doc(
        "List a chat's pins, newest first",
        family="message.list_pins",
        query=PinListQuery,
        reply=Ok[PinPage],
    ),
    "DELETE /im/v1/pins/{message_id}": Doc(
        "Unpin a message",
        family="message.unpin",
        reply=Ok[Empty],
        notes="A message that is not pinned (or recalled) unpins successfully.",
    ),
}

_SECURITY = {
    "tenant_access_token": {
        "type": "http",
        "scheme": "bearer",
        "description": "A `t-…` token from the token routes: the call acts as the app's bot.",
    },
    "user_access_token": {
        "type": "http",
        "scheme": "bearer",
        "description": "A `u-…` token chatpins issued (`chatpins tokens issue`, the native "
        "API): the call acts as that user.",
    },
}
_EITHER_TOKEN: list[dict[str, list[str]]] = [{"tenant_access_token": []}, {"user_access_token": []}]
# ``auth._issue`` answers these on HTTP 200.
_TOKEN_FAILURES: list[Code] = [
    (cast(int, INVALID_TOKEN_REQUEST["code"]), cast(str, INVALID_TOKEN_REQUEST["msg"])),
    (10014, "app id not exists"),
    (10014, "app secret invalid"),
]
_SUMMARY = """\
The Feishu/Lark open platform's pin workflow (`im/v1` pins, chats, members, messages and the
self-built app's tokens) as chatpins serves it: code written with `lark-oapi` or
`@larksuiteoapi/node-sdk` pointed at this server works unchanged. Generated from the dialect's
route table; what is and is not emulated is in `docs/coverage.md`, the choices in
`docs/feishu.md`.

Success: HTTP 200 `{"code": 0, "msg": "success", "data": {…}}`. Business errors: HTTP 400 with
the vendor's `code` (each operation lists the codes it may answer); the app's rate limit
(50/s and 1000/min per API): HTTP 429, code 99991400."""


def document(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    where = "dialects/feishu/openapi.py OPERATIONS"
    operations = openapi.route_operations(routes, OPERATIONS, where, _access, PREFIX)
    return openapi.build(
        openapi.Description("chatpins: Feishu/Lark open platform", _SUMMARY, operations, _SECURITY)
    )


def _access(doc: Doc) -> tuple[openapi.Security, list[Answer]]:
    return ([] if doc.family == "auth" else _EITHER_TOKEN), _answers(doc.family)


def _answers(family: str) -> list[Answer]:
    if family == "auth":
        return [Answer(200, "a token failure", codes=_TOKEN_FAILURES)]
    return [
        Answer(400, "A business error, or a missing or bad token", Failure, codes(family)),
        Answer(429, "The app's rate limit", Failure, [(99991400, RATE_LIMITED)]),
    ]


def codes(family: str) -> list[Code]:
    """The codes the error table answers for an endpoint of ``family``: its own entries, its
    group's (``message``, ``chat``) and the gateway's (tokens)."""
    reasons = {reason for _family, reason, _code, _msg in errors.codes()}
    found = {errors.lookup(family, reason) for reason in reasons}
    return [entry for entry in found if entry is not None]

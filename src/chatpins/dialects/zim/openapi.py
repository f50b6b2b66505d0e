"""ZIM's served surface as OpenAPI (``GET /openapi/zim.json``), from ``routes.ACTIONS``.

ZIM has one endpoint, ``POST /?Action=<Name>``. Each action is its own path item keyed
``/?Action=<Name>``: OpenAPI 3.1 requires only that a path key start with ``/``, and it is the
one way to give every action its own body, reply and codes. Swagger UI (and swagger-js, so
"Try it out") merges the key's query with the operation's parameters; linters that prefer
query parameters to a query in a path (Redocly's ``path-not-include-query``) will say so. The
public parameters are shared ``components.parameters``; ``Signature`` is the security scheme.

Bodies and replies are the models of ``openapi_models.py``. Every outcome is HTTP 200: the
codes an action may answer are listed on its 200 response (the gateway's, the action's rate
limit, and ``reasons``: the business reasons its handler reaches).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chatpins.core.errors import Reason
from chatpins.dialects import openapi
from chatpins.dialects.openapi import Answer, Code, Operation, Wire
from chatpins.dialects.zim import errors, gateway, groups
from chatpins.dialects.zim import signature as signing
from chatpins.dialects.zim.openapi_models import (
    ConvPinnedBody,
    ConvPinnedReply,
    CreateGroupBody,
    CreateGroupReply,
    InviteBody,
    InviteReply,
    QueryConversationListBody,
    QueryConversationListReply,
    SendGroupMessageBody,
    SendGroupMessageReply,
    SendPeerMessageBody,
    SendPeerMessageReply,
    UserRegisterBody,
    UserRegisterReply,
)


@dataclass(frozen=True)
class Doc(Wire):
    """An action's summary and models, and ``reasons``: the business errors its handler
    reaches (the gateway's codes, its rate limit and 660000001/2 apply to every action)."""

    reasons: tuple[str, ...] = field(default=())


OPERATIONS: dict[str, Doc] = {
    "UserRegister": Doc(
        "Register users",
        body=UserRegisterBody,
        reply=UserRegisterReply,
        reasons=(
            Reason.USER_EXISTS,
            "user_id_too_long",
            "user_name_too_long",
            "user_avatar_too_long",
        ),
    ),
    "CreateGroup": Doc(
        "Create a group",
        body=CreateGroupBody,
        reply=CreateGroupReply,
        reasons=(
            Reason.CHAT_EXISTS,
            "owner_not_registered",
            "too_many_members",
            "user_not_registered",
        ),
    ),
    "InviteUsersIntoGroup": Doc(
        "Add users to a group",
        body=InviteBody,
        reply=InviteReply,
        reasons=(
            groups.INVITE_RATE.reason,
            Reason.OPERATOR_NOT_REGISTERED,
            Reason.GROUP_NOT_FOUND,
            Reason.NOT_GROUP_MEMBER,
            "too_many_users",
            "user_not_registered",
        ),
    ),
    "SendPeerMessage": Doc(
        "Send a message to users, one-on-one",
        body=SendPeerMessageBody,
        reply=SendPeerMessageReply,
        reasons=(
            Reason.OPERATOR_NOT_REGISTERED,
            "too_many_users",
            "message_too_large",
            "self_message",
            "user_not_registered",
        ),
    ),
    "SendGroupMessage": Doc(
        "Send a message to a group",
        body=SendGroupMessageBody,
        reply=SendGroupMessageReply,
        reasons=(
            Reason.OPERATOR_NOT_REGISTERED,
            Reason.GROUP_NOT_FOUND,
            Reason.NOT_GROUP_MEMBER,
            Reason.CHAT_MESSAGE_RATE,
            "message_too_large",
        ),
    ),
    "ConvPinned": Doc(
        "Pin or unpin conversations for a user",
        body=ConvPinnedBody,
        reply=ConvPinnedReply,
        notes="At least one item done: Code 0, the failed items in ErrorList with their "
        "SubCode. Every item failed: their shared SubCode (else 660000001), every item listed.",
        reasons=(
            Reason.OPERATOR_NOT_REGISTERED,
            Reason.PEER_NOT_REGISTERED,
            Reason.CONVERSATION_PIN_LIMIT,
            Reason.GROUP_NOT_FOUND,
            Reason.NOT_GROUP_MEMBER,
            Reason.SELF_CONVERSATION,
        ),
    ),
    "QueryConversationList": Doc(
        "List a user's conversations",
        body=QueryConversationListBody,
        reply=QueryConversationListReply,
        notes="Oldest UpdateTime first, as the vendor; `PinnedFirst` (a chatpins extension) "
        "lists the pinned ones first, newest first.",
        reasons=(Reason.OPERATOR_NOT_REGISTERED, "conversation_query_failed"),
    ),
}

# Codes every action may answer: the gateway's (below 600000000) and the plain failures.
_EVERY_ACTION = ("general", "invalid_param")
_SIGNATURE = "Signature"
_SECURITY = {
    _SIGNATURE: {
        "type": "apiKey",
        "in": "query",
        "name": _SIGNATURE,
        "description": "lower_hex(MD5(str(AppId) + SignatureNonce + ServerSecret + "
        "str(Timestamp))); a nonce is taken once within 20 minutes.",
    }
}
_PUBLIC = {
    "AppId": (
        "The app's AppId: a uint32 in decimal.",
        {"type": "integer", "minimum": 0, "maximum": gateway.UINT32_MAX},
    ),
    "SignatureNonce": (
        "A new random string per request (the vendor: 16 hex characters).",
        {"type": "string", "minLength": 1, "maxLength": gateway.MAX_NONCE_CHARS},
    ),
    "Timestamp": (
        f"Unix seconds, within {gateway.MAX_SKEW_S} s of the server's clock.",
        {"type": "integer"},
    ),
    "SignatureVersion": ("", {"type": "string", "enum": [signing.VERSION]}),
}
_PARAMETERS = {
    name: {"name": name, "in": "query", "required": True, "schema": schema}
    | ({"description": text} if text else {})
    for name, (text, schema) in _PUBLIC.items()
}
_SUMMARY = """\
The ZEGOCLOUD ZIM server API actions of the conversation-pin workflow (users, groups,
messages, `ConvPinned`, `QueryConversationList`) as chatpins serves them: `POST /?Action=<Name>`
with the signed public parameters in the query and a JSON body. Generated from the dialect's
action table; what is and is not emulated is in `docs/coverage.md`, the choices in
`docs/zim.md`.

Every outcome is HTTP 200 `{"Code", "Message", "RequestId", …}`; `Code` 0 is success. Each
action lists the codes it may answer on its 200 response."""


def document(actions: Mapping[str, Any]) -> dict[str, Any]:
    """``actions``: ``routes.ACTIONS`` (name -> its handler and rate limit)."""
    table = openapi.covered(OPERATIONS, actions, "dialects/zim/openapi.py OPERATIONS")
    public = [{"$ref": f"#/components/parameters/{name}"} for name in _PARAMETERS]
    operations = []
    for name, doc in table.items():
        action = actions[name]
        rate = (action.rate.reason,) if action.rate is not None else ()
        operations.append(
            Operation(
                "POST",
                f"/?Action={name}",
                name,
                openapi.tag_of(action.handler),
                doc,
                security=[{_SIGNATURE: []}],
                answers=[Answer(200, "a failure (`Code` ≠ 0)", codes=codes(*rate, *doc.reasons))],
                parameters=public,
                extensions={"x-zim-action": name},
            )
        )
    return openapi.build(
        openapi.Description(
            "chatpins: ZEGOCLOUD ZIM server API",
            _SUMMARY,
            operations,
            _SECURITY,
            parameters=_PARAMETERS,
        )
    )


def codes(*reasons: str) -> list[Code]:
    """The gateway's codes, the plain failures', and those of ``reasons``."""
    table = {reason: (code, message) for reason, code, message in errors.codes()}
    unknown = [r for r in reasons if r not in table]
    if unknown:
        raise LookupError(f"reasons without a ZIM code: {unknown}")
    gateway_codes = [entry for entry in table.values() if entry[0] < 600_000_000]
    return [*gateway_codes, *(table[r] for r in (*_EVERY_ACTION, *reasons))]

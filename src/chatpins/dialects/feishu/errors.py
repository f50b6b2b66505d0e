"""Feishu's error codes: the one table from core errors (type + reason) to the vendor's codes.

Codes are looked up by (family, reason) where family narrows from the endpoint
("message.send") to its API group ("message") to any (None). The API groups have their own
code ranges: 230xxx for messages and pins, 232xxx for chats and members.

Keys are core ``Reason`` members, except the gateway's token failures and ``invalid_param``:
those never travel as a core error (``token_error``, ``invalid``) and stay strings here.
"""

from __future__ import annotations

from typing import Any

from chatpins.core.errors import (
    CONVERSATION_PIN_CHECKS,
    NATIVE_ONLY,
    ChatpinsError,
    RateLimited,
    Reason,
)
from chatpins.core.faults import Fault
from chatpins.dialects.shell import ErrorTable

INVALID_PARAM = "Your request contains an invalid request parameter."
INVALID_TOKEN = "Invalid access token for authorization. Please make a request with token attached."
MISSING_TOKEN = "Missing access token for authorization. Please make a request with token attached."


class FeishuError(Exception):
    """A reply in Feishu's error envelope."""

    def __init__(
        self,
        code: int,
        msg: str,
        status: int = 400,
        headers: dict[str, str] | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}
        self.data = data


# (family, reason) -> (code, msg)
_TABLE: ErrorTable[tuple[int, str]] = ErrorTable(
    {
        # Gateway: tokens (feishu.md §4); dialect-local, raised by ``token_error``
        (None, "missing_token"): (99991661, MISSING_TOKEN),
        (None, "unknown_app_token"): (99991663, INVALID_TOKEN),
        (None, "unknown_user_token"): (99991668, INVALID_TOKEN),
        (None, "expired_user_token"): (99991677, "token expire"),
        (None, "malformed_token"): (99991671, "Invalid token: must start with t-/u-"),
        # Messages and pins (feishu.md §6.7–6.12)
        ("message", "invalid_param"): (230001, INVALID_PARAM),
        ("message", Reason.MESSAGE_NOT_FOUND): (230001, INVALID_PARAM),
        ("message", Reason.UNKNOWN_CHAT_ID): (230001, INVALID_PARAM),
        ("message", Reason.P2P_ONLY_MESSAGE_TYPE): (230001, INVALID_PARAM),
        ("message", Reason.BOT_NOT_IN_CHAT): (230002, "The bot can not be outside the group."),
        ("message", Reason.BOT_DISABLED): (230006, "Bot ability is not activated."),
        ("message", Reason.MESSAGE_RECALLED): (230011, "The message is recalled."),
        ("message", Reason.USER_UNAVAILABLE_TO_BOT): (
            230013,
            "Bot has NO availability to this user.",
        ),
        ("message", Reason.CHAT_MESSAGE_RATE): (
            230020,
            "This operation triggers the frequency limit.",
        ),
        ("message", Reason.CONTENT_TOO_LONG): (230025, "The message content is too long."),
        ("message", Reason.MAY_NOT_RECALL): (230026, "No permission to recall this message."),
        ("message", Reason.MISSING_PIN_SCOPE): (230027, "Lack of necessary permissions."),
        ("message", Reason.NOT_CHAT_MEMBER): (230027, "Lack of necessary permissions."),
        ("message", Reason.MAY_NOT_SEND): (230035, "No permission to send messages to this chat."),
        ("message", Reason.CHAT_NOT_FOUND): (230045, "The chat not exist."),
        ("message", Reason.MAY_NOT_PIN): (
            230046,
            "No Permission to Pin/Unpin messages in the chat.",
        ),
        ("message", Reason.MAY_NOT_UNPIN): (
            230046,
            "No Permission to Pin/Unpin messages in the chat.",
        ),
        ("message", Reason.MESSAGE_PIN_RATE): (
            230047,
            "Pin/Unpin message trigger message_id limit.",
        ),
        # The vendor documents no cap on pins per chat; a chat given one refuses with this (chosen).
        ("message", Reason.PIN_LIMIT): (230073, "The number of pinned messages exceeds the limit."),
        ("message", Reason.MESSAGE_INVISIBLE): (
            230050,
            "The message is invisible to the operator.",
        ),
        ("message", Reason.MESSAGE_TYPE): (
            230054,
            "This operation is not supported for this message type.",
        ),
        ("message", Reason.MESSAGE_SELF_DESTRUCTING): (
            230111,
            "Action unavailable as the message will self-destruct soon.",
        ),
        ("message", Reason.CHAT_DISSOLVED): (
            232009,
            "Your request specifies a chat which has already been dissolved.",
        ),
        ("message.send", Reason.CHAT_NOT_FOUND): (230034, "The receive_id is invalid."),
        ("message.send", Reason.INVALID_RECEIVE_ID): (230034, "The receive_id is invalid."),
        # Chats, members, managers (feishu.md §6.1–6.6)
        ("chat", "invalid_param"): (232001, INVALID_PARAM),
        ("chat", Reason.CHAT_EXISTS): (232001, INVALID_PARAM),
        ("chat", Reason.NOT_CHAT_MEMBERS): (232001, INVALID_PARAM),
        ("chat", Reason.ONLY_MANAGERS_MAY_EDIT): (
            232002,
            "Only the group owner or admin can edit.",
        ),
        ("chat", Reason.CHAT_NOT_FOUND): (
            232006,
            "Your request specifies a chat_id which is invalid.",
        ),
        ("chat", Reason.CHAT_DISSOLVED): (
            232009,
            "Your request specifies a chat which has already been dissolved.",
        ),
        ("chat", Reason.NOT_CHAT_MEMBER): (232011, "The operator is NOT in the chat."),
        ("chat", Reason.NEW_OWNER_NOT_MEMBER): (232012, "The new owner is NOT in the chat."),
        ("chat", Reason.ONLY_MANAGERS_MAY_REMOVE_MEMBERS): (
            232014,
            "No permission to remove members.",
        ),
        ("chat", Reason.ONLY_MANAGERS_MAY_CHANGE_SETTINGS): (
            232016,
            "Only the owner or admins can change these chat settings.",
        ),
        # owner_id is one of the settings only the owner or managers may change (feishu.md §6.3).
        ("chat", Reason.MAY_NOT_TRANSFER_OWNERSHIP): (
            232016,
            "Only the owner or admins can change these chat settings.",
        ),
        ("chat", Reason.ONLY_OWNER_MAY_DISSOLVE): (232017, "The operator has no permission."),
        ("chat", Reason.ONLY_MANAGERS_MAY_ADD_MEMBERS): (232017, "The operator has no permission."),
        ("chat", Reason.PUBLIC_CHAT_NAME_TOO_SHORT): (232020, "The public chat name is too short."),
        ("chat", Reason.BOT_DISABLED): (232025, "Bot ability is not activated."),
        ("chat", Reason.ONLY_OWNER_MAY_MANAGE_ADMINS): (
            232038,
            "Only the group owner can set managers.",
        ),
        ("chat", Reason.ADMIN_LIMIT): (232040, "The number of chat managers exceeds the limit."),
        ("chat", Reason.PUBLIC_CHAT_NAME_MISSING): (232042, "A public chat needs a name."),
        ("chat", Reason.UNKNOWN_USERS): (232043, "Some of the ids are unavailable."),
        ("chat", Reason.CANNOT_REMOVE_OWNER): (232076, "The group owner cannot be removed."),
        ("chat", Reason.INVALID_OWNER_ID): (232035, "The owner_id is invalid."),
    }
)

_INVALID_BY_FAMILY = {"message": 230001, "chat": 232001}

# Reasons that by design answer the family's generic "invalid parameter" code (230001 /
# 232001): the vendor has no closer code, or no Feishu endpoint raises them (the native API's
# own reasons, ZIM's conversation list). ``tests/unit/test_error_tables.py`` holds every other
# reason to an entry above.
GENERIC: frozenset[Reason] = (
    NATIVE_ONLY
    | CONVERSATION_PIN_CHECKS
    | {
        # Arguments Feishu's schemas let through and the vendor calls plainly invalid.
        Reason.INVALID_ID_TYPE,
        Reason.INVALID_CHAT_ID,
        Reason.INVALID_TIME_FIELD,
        Reason.INVALID_USER_ID,
        Reason.INVALID_USER_NAME,
        Reason.MEMBER_NOT_FOUND,
        Reason.MAY_NOT_JOIN_P2P,
        Reason.MAY_NOT_EDIT,
        Reason.DUPLICATE_KEY,
        # Token issuing and checking: ``auth`` answers 10014 or ``token_error`` (99991xxx) itself.
        Reason.INVALID_TTL,
        Reason.UNSUPPORTED_DIALECT,
        Reason.INVALID_TOKEN_VALUE,
        Reason.TOKEN_CONFLICT,
        Reason.UNKNOWN_APP,
        Reason.WRONG_SECRET,
        Reason.UNKNOWN_TOKEN,
        Reason.EXPIRED_TOKEN,
        # Users and apps are provisioned through IMKit, ZIM or the native API, never Feishu.
        Reason.APP_NOT_FOUND,
        Reason.USER_NOT_FOUND,
        Reason.USER_EXISTS,
        Reason.CONVERSATION_PIN_LIMIT,
    }
)


def to_feishu(error: ChatpinsError, family: str) -> FeishuError:
    """Translate a core error for an endpoint of the given family ("message.send", "chat", …)."""
    entry = lookup(family, error.reason)
    if entry is None:
        # A reason without an entry is a request the vendor would call invalid.
        group = family.split(".")[0]
        entry = (_INVALID_BY_FAMILY.get(group, 230001), INVALID_PARAM)
    code, msg = entry
    headers = {}
    if isinstance(error, RateLimited) and code == 99991400:
        headers = {"x-ogw-ratelimit-limit": str(error.limit)}
    return FeishuError(code, msg, headers=headers)


def invalid(family: str) -> FeishuError:
    code, msg = lookup(family, "invalid_param") or (230001, INVALID_PARAM)
    return FeishuError(code, msg)


def token_error(reason: str) -> FeishuError:
    """A gateway token failure (``missing_token``, ``expired_user_token``, …): 99991xxx."""
    code, msg = lookup("auth", reason) or (99991663, INVALID_TOKEN)
    return FeishuError(code, msg)


# A fault rule's refusal (``core.faults``) answers the vendor's msg for its code: the table's,
# or the platform's own for the codes no endpoint maps.
_PLATFORM_MESSAGES = {
    99991201: "resource not found",
    99991301: "method not allowed",
    99991400: "request trigger frequency limit",
    99991500: "internal server error",
}


def fault_error(fault: Fault) -> FeishuError:
    """A fault rule's refusal: its code on its HTTP status. Without a status: 429 for the rate
    limit (99991400), else 400 as for every business error; without a code: the platform's
    code for the status (99991400, 99991500 for 5xx, else the invalid-parameter 230001)."""
    status = fault.http_status
    code = fault.code
    if code is None:
        code = 99991400 if status == 429 else 99991500 if (status or 0) >= 500 else 230001
    msg = next((m for _f, _r, (c, m) in _TABLE.rows() if c == code), None)
    msg = msg or _PLATFORM_MESSAGES.get(code, "injected fault")
    if code == 99991400:
        # What a client's back-off reads (feishu.md §4).
        return FeishuError(code, msg, status or 429, {"x-ogw-ratelimit-reset": "1"})
    return FeishuError(code, msg, status or 400)


lookup = _TABLE.lookup


def codes() -> list[tuple[str | None, str, int, str]]:
    """The table as rows (family, reason, code, msg), for the docs."""
    return [(f, r, c, m) for f, r, (c, m) in _TABLE.rows()]

"""Feishu's error codes: the one table from core errors (type + reason) to the vendor's codes.

Codes are looked up by (family, reason) where family narrows from the endpoint
("message.send") to its API group ("message") to any (None). The API groups have their own
code ranges: 230xxx for messages and pins, 232xxx for chats and members.
"""

from __future__ import annotations

from chatpins.core.errors import ChatpinsError, RateLimited

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
        data: dict | None = None,
    ) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}
        self.data = data


# (family, reason) -> (code, msg)
_TABLE: dict[tuple[str | None, str], tuple[int, str]] = {
    # Gateway: tokens (feishu.md §4)
    (None, "missing_token"): (99991661, MISSING_TOKEN),
    (None, "unknown_app_token"): (99991663, INVALID_TOKEN),
    (None, "unknown_user_token"): (99991668, INVALID_TOKEN),
    (None, "expired_user_token"): (99991677, "token expire"),
    (None, "malformed_token"): (99991671, "Invalid token: must start with t-/u-"),
    # Messages and pins (feishu.md §6.7–6.12)
    ("message", "invalid_param"): (230001, INVALID_PARAM),
    ("message", "message_not_found"): (230001, INVALID_PARAM),
    ("message", "unknown_chat_id"): (230001, INVALID_PARAM),
    ("message", "p2p_only_message_type"): (230001, INVALID_PARAM),
    ("message", "bot_not_in_chat"): (230002, "The bot can not be outside the group."),
    ("message", "bot_disabled"): (230006, "Bot ability is not activated."),
    ("message", "message_recalled"): (230011, "The message is recalled."),
    ("message", "user_unavailable_to_bot"): (230013, "Bot has NO availability to this user."),
    ("message", "chat_message_rate"): (230020, "This operation triggers the frequency limit."),
    ("message", "content_too_long"): (230025, "The message content is too long."),
    ("message", "may_not_recall"): (230026, "No permission to recall this message."),
    ("message", "missing_pin_scope"): (230027, "Lack of necessary permissions."),
    ("message", "not_chat_member"): (230027, "Lack of necessary permissions."),
    ("message", "may_not_send"): (230035, "No permission to send messages to this chat."),
    ("message", "chat_not_found"): (230045, "The chat not exist."),
    ("message", "may_not_pin"): (230046, "No Permission to Pin/Unpin messages in the chat."),
    ("message", "message_pin_rate"): (230047, "Pin/Unpin message trigger message_id limit."),
    ("message", "message_invisible"): (230050, "The message is invisible to the operator."),
    ("message", "message_type"): (
        230054,
        "This operation is not supported for this message type.",
    ),
    ("message", "message_self_destructing"): (
        230111,
        "Action unavailable as the message will self-destruct soon.",
    ),
    ("message", "chat_dissolved"): (
        232009,
        "Your request specifies a chat which has already been dissolved.",
    ),
    ("message.send", "chat_not_found"): (230034, "The receive_id is invalid."),
    ("message.send", "invalid_receive_id"): (230034, "The receive_id is invalid."),
    # Chats, members, managers (feishu.md §6.1–6.6)
    ("chat", "invalid_param"): (232001, INVALID_PARAM),
    ("chat", "chat_exists"): (232001, INVALID_PARAM),
    ("chat", "not_chat_members"): (232001, INVALID_PARAM),
    ("chat", "only_managers_may_edit"): (232002, "Only the group owner or admin can edit."),
    ("chat", "chat_not_found"): (232006, "Your request specifies a chat_id which is invalid."),
    ("chat", "chat_dissolved"): (
        232009,
        "Your request specifies a chat which has already been dissolved.",
    ),
    ("chat", "not_chat_member"): (232011, "The operator is NOT in the chat."),
    ("chat", "new_owner_not_member"): (232012, "The new owner is NOT in the chat."),
    ("chat", "only_managers_may_remove_members"): (232014, "No permission to remove members."),
    ("chat", "only_managers_may_change_settings"): (
        232016,
        "Only the owner or admins can change these chat settings.",
    ),
    ("chat", "only_owner_may_dissolve"): (232017, "The operator has no permission."),
    ("chat", "only_managers_may_add_members"): (232017, "The operator has no permission."),
    ("chat", "public_chat_name_too_short"): (232020, "The public chat name is too short."),
    ("chat", "bot_disabled"): (232025, "Bot ability is not activated."),
    ("chat", "only_owner_may_manage_admins"): (232038, "Only the group owner can set managers."),
    ("chat", "admin_limit"): (232040, "The number of chat managers exceeds the limit."),
    ("chat", "public_chat_name_missing"): (232042, "A public chat needs a name."),
    ("chat", "unknown_users"): (232043, "Some of the ids are unavailable."),
    ("chat", "cannot_remove_owner"): (232076, "The group owner cannot be removed."),
    ("chat", "invalid_owner_id"): (232035, "The owner_id is invalid."),
}

_INVALID_BY_FAMILY = {"message": 230001, "chat": 232001}


def to_feishu(error: ChatpinsError, family: str) -> FeishuError:
    """Translate a core error for an endpoint of the given family ("message.send", "chat", …)."""
    entry = _lookup(family, error.reason)
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
    code, msg = _lookup(family, "invalid_param") or (230001, INVALID_PARAM)
    return FeishuError(code, msg)


def _lookup(family: str, reason: str) -> tuple[int, str] | None:
    group = family.split(".")[0]
    return _TABLE.get((family, reason)) or _TABLE.get((group, reason)) or _TABLE.get((None, reason))


def codes() -> list[tuple[str | None, str, int, str]]:
    """The table as rows (family, reason, code, msg), for the docs."""
    return [(f, r, c, m) for (f, r), (c, m) in _TABLE.items()]

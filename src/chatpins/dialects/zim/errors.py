"""ZIM's return codes: the one table from reasons (core errors' and the gateway's) to codes.

Every outcome is HTTP 200; the code is in the body (zim.md §3). A reason without an entry is
a general business error (660000001), or the action's own failure code where it has one
(QueryConversationList: 660800053).
"""

from __future__ import annotations

from typing import Any

from chatpins.core.errors import ChatpinsError

GENERAL = 660000001
INVALID = 660000002


class ZimError(Exception):
    """A whole-request failure: ``Code`` ≠ 0, with the per-item lists (if any) attached."""

    def __init__(self, code: int, message: str, fields: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.fields = fields or {}


# reason -> (code, Message / SubMessage)
_TABLE: dict[str, tuple[int, str]] = {
    # Gateway: public parameters and signature (zim.md §1, §2, §4)
    "internal_error": (1, "internal error"),
    "app_id_format": (100000001, "AppId is not a uint32"),
    "timestamp_empty": (100000002, "Timestamp is empty"),
    "timestamp_format": (100000003, "Timestamp is not an integer"),
    "timestamp_expired": (100000004, "signature expired: Timestamp is more than 10 minutes off"),
    "signature_mismatch": (100000005, "signature error"),
    "nonce_reused": (100000005, "SignatureNonce already used"),
    "action_empty": (100000006, "Action is empty"),
    "action_unsupported": (100000007, "unsupported Action"),
    "nonce_empty": (100000008, "SignatureNonce is empty or longer than 128 characters"),
    "signature_empty": (100000009, "Signature is empty"),
    "unknown_app": (100000010, "failed to get ServerSecret: check that AppId is correct"),
    "body_unreadable": (100000012, "failed to read the request body"),
    "version_empty": (100000013, "SignatureVersion is empty"),
    "version_unsupported": (100000014, "unsupported SignatureVersion"),
    # Rate limits, per action (zim.md §6, §7)
    "app_rate": (660300005, "call frequency over the AppID-level limit"),
    "group_rate": (660300006, "call frequency over the group-level limit"),
    "chat_message_rate": (660300006, "call frequency over the group-level limit"),
    "create_group_rate": (660600010, "CreateGroup call frequency over the limit"),
    "user_register_rate": (660700001, "UserRegister call frequency over the limit"),
    # Parameters
    "invalid_param": (INVALID, "input parameter error"),
    "invalid_user_id": (INVALID, "input parameter error: invalid UserId"),
    "self_conversation": (INVALID, "input parameter error: ConvId is FromUserId"),
    "too_many_users": (660000011, "user count over limit"),
    "user_id_too_long": (660000012, "UserId longer than 32 bytes"),
    "message_too_large": (660400001, "message too large"),
    # Business
    "general": (GENERAL, "general business error"),
    "operator_not_registered": (660500002, "FromUserId is not registered"),
    "group_not_found": (660600001, "group does not exist"),
    "chat_not_found": (660600001, "group does not exist"),
    "chat_dissolved": (660600001, "group does not exist"),
    "chat_exists": (660600011, "group already exists"),
    "owner_not_registered": (660600013, "group owner does not exist"),
    "too_many_members": (660600016, "too many members at creation (more than 100)"),
    "not_group_member": (660600024, "user is not in the group"),
    "not_chat_member": (660600024, "user is not in the group"),
    "may_not_send": (660600024, "user is not in the group"),
    "self_message": (660600030, "FromUserId equals ToUserId"),
    "user_exists": (660700002, "user already exists"),
    "user_name_too_long": (660700006, "UserName longer than 256 bytes"),
    "invalid_user_name": (660700006, "UserName longer than 256 bytes"),
    "user_avatar_too_long": (660700007, "UserAvatar longer than 500 bytes"),
    "user_not_registered": (660700015, "user not registered"),
    "unknown_users": (660700015, "user not registered"),
    "peer_not_registered": (660800001, "conv user not registered"),
    "conversation_pin_limit": (660800048, "pin list length over limit (100)"),
    "conversation_query_failed": (660800053, "query conversation list failed"),
}


def lookup(reason: str, fallback: str = "general") -> tuple[int, str]:
    return _TABLE.get(reason) or _TABLE[fallback]


def error(reason: str, detail: str = "", **fields: Any) -> ZimError:
    code, message = lookup(reason)
    return ZimError(code, f"{message}: {detail}" if detail else message, fields)


def from_core(exc: ChatpinsError, fallback: str = "general") -> ZimError:
    code, message = lookup(exc.reason, fallback)
    return ZimError(code, message)


def sub(exc: ChatpinsError) -> tuple[int, str]:
    """SubCode and SubMessage of one failed item."""
    return lookup(exc.reason)


def all_failed_code(sub_codes: list[int]) -> int:
    """Every item failed: their shared SubCode, else 660000001 (zim.md §3, unconfirmed)."""
    return sub_codes[0] if len(set(sub_codes)) == 1 else GENERAL


def message_for(code: int) -> str:
    return next((m for c, m in _TABLE.values() if c == code), "general business error")


def codes() -> list[tuple[str, int, str]]:
    """The table as rows (reason, code, message), for the docs."""
    return [(reason, code, message) for reason, (code, message) in _TABLE.items()]

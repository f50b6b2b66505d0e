"""ZIM's return codes: the one table from reasons (core errors' and the gateway's) to codes.

Every outcome is HTTP 200; the code is in the body (zim.md §3). A reason without an entry is
a general business error (660000001), or the action's own failure code where it has one
(QueryConversationList: 660800053).

Keys are core ``Reason`` members, except the gateway's and the actions' own checks
(signature, public parameters, field lengths, per-action rates): those never travel as a core
error (``error``) and stay strings here.
"""

from __future__ import annotations

from typing import Any

from chatpins.core.errors import BOT_CHAT_CHECKS, NATIVE_ONLY, ChatpinsError, Reason
from chatpins.core.faults import Fault
from chatpins.dialects.shell import ErrorTable

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
_ENTRIES: dict[str, tuple[int, str]] = {
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
    Reason.UNKNOWN_APP: (100000010, "failed to get ServerSecret: check that AppId is correct"),
    "body_unreadable": (100000012, "failed to read the request body"),
    "version_empty": (100000013, "SignatureVersion is empty"),
    "version_unsupported": (100000014, "unsupported SignatureVersion"),
    # Rate limits, per action (zim.md §6, §7)
    "app_rate": (660300005, "call frequency over the AppID-level limit"),
    "group_rate": (660300006, "call frequency over the group-level limit"),
    Reason.CHAT_MESSAGE_RATE: (660300006, "call frequency over the group-level limit"),
    "create_group_rate": (660600010, "CreateGroup call frequency over the limit"),
    "user_register_rate": (660700001, "UserRegister call frequency over the limit"),
    # Parameters
    "invalid_param": (INVALID, "input parameter error"),
    Reason.INVALID_USER_ID: (INVALID, "input parameter error: invalid UserId"),
    Reason.SELF_CONVERSATION: (INVALID, "input parameter error: ConvId is FromUserId"),
    "too_many_users": (660000011, "user count over limit"),
    "user_id_too_long": (660000012, "UserId longer than 32 bytes"),
    "message_too_large": (660400001, "message too large"),
    # Business
    "general": (GENERAL, "general business error"),
    Reason.OPERATOR_NOT_REGISTERED: (660500002, "FromUserId is not registered"),
    Reason.GROUP_NOT_FOUND: (660600001, "group does not exist"),
    Reason.CHAT_NOT_FOUND: (660600001, "group does not exist"),
    Reason.CHAT_DISSOLVED: (660600001, "group does not exist"),
    Reason.CHAT_EXISTS: (660600011, "group already exists"),
    "owner_not_registered": (660600013, "group owner does not exist"),
    "too_many_members": (660600016, "too many members at creation (more than 100)"),
    Reason.NOT_GROUP_MEMBER: (660600024, "user is not in the group"),
    Reason.NOT_CHAT_MEMBER: (660600024, "user is not in the group"),
    Reason.MAY_NOT_SEND: (660600024, "user is not in the group"),
    "self_message": (660600030, "FromUserId equals ToUserId"),
    Reason.USER_EXISTS: (660700002, "user already exists"),
    "user_name_too_long": (660700006, "UserName longer than 256 bytes"),
    Reason.INVALID_USER_NAME: (660700006, "UserName longer than 256 bytes"),
    "user_avatar_too_long": (660700007, "UserAvatar longer than 500 bytes"),
    "user_not_registered": (660700015, "user not registered"),
    Reason.UNKNOWN_USERS: (660700015, "user not registered"),
    Reason.PEER_NOT_REGISTERED: (660800001, "conv user not registered"),
    Reason.CONVERSATION_PIN_LIMIT: (660800048, "pin list length over limit (100)"),
    "conversation_query_failed": (660800053, "query conversation list failed"),
}
# ZIM's codes depend on the reason only: every entry is for any family.
_TABLE = ErrorTable({(None, reason): entry for reason, entry in _ENTRIES.items()})


# Reasons that by design answer the general business error (660000001): zim.md lists no closer
# code, or no ZIM action reaches them (Feishu's and IMKit's chat administration, message pins,
# tokens). ``tests/unit/test_error_tables.py`` holds every other reason to an entry above.
GENERIC: frozenset[Reason] = (
    NATIVE_ONLY
    | BOT_CHAT_CHECKS
    | {
        # The app's bot and its pin scope.
        Reason.BOT_DISABLED,
        Reason.MISSING_PIN_SCOPE,
        # Chat administration ZIM's group actions do not offer.
        Reason.INVALID_CHAT_ID,
        Reason.ADMIN_LIMIT,
        Reason.CANNOT_REMOVE_OWNER,
        Reason.MAY_NOT_JOIN_P2P,
        Reason.MAY_NOT_TRANSFER_OWNERSHIP,
        Reason.MEMBER_NOT_FOUND,
        Reason.NEW_OWNER_NOT_MEMBER,
        Reason.NOT_CHAT_MEMBERS,
        Reason.ONLY_MANAGERS_MAY_ADD_MEMBERS,
        Reason.ONLY_MANAGERS_MAY_CHANGE_SETTINGS,
        Reason.ONLY_MANAGERS_MAY_EDIT,
        Reason.ONLY_MANAGERS_MAY_REMOVE_MEMBERS,
        Reason.ONLY_OWNER_MAY_DISSOLVE,
        Reason.ONLY_OWNER_MAY_MANAGE_ADMINS,
        # Messages and their pins: ZIM pins conversations, not messages.
        Reason.INVALID_TIME_FIELD,
        Reason.MAY_NOT_EDIT,
        Reason.MAY_NOT_PIN,
        Reason.MAY_NOT_UNPIN,
        Reason.MAY_NOT_RECALL,
        Reason.MESSAGE_INVISIBLE,
        Reason.MESSAGE_NOT_FOUND,
        Reason.MESSAGE_PIN_RATE,
        Reason.MESSAGE_RECALLED,
        Reason.MESSAGE_SELF_DESTRUCTING,
        Reason.MESSAGE_TYPE,
        Reason.P2P_ONLY_MESSAGE_TYPE,
        Reason.PIN_LIMIT,
        # Tokens and app credentials: ZIM signs each request with the server secret instead.
        Reason.APP_NOT_FOUND,
        Reason.USER_NOT_FOUND,
        Reason.INVALID_TOKEN_VALUE,
        Reason.TOKEN_CONFLICT,
        Reason.WRONG_SECRET,
        Reason.UNKNOWN_TOKEN,
        Reason.EXPIRED_TOKEN,
        # A lost uniqueness race.
        Reason.DUPLICATE_KEY,
    }
)


def lookup(reason: str, fallback: str = "general") -> tuple[int, str]:
    return _TABLE.lookup(None, reason) or _ENTRIES[fallback]


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
    return next((m for c, m in _ENTRIES.values() if c == code), "general business error")


def fault_error(fault: Fault) -> ZimError:
    """A fault rule's refusal (``core.faults``): its code, on HTTP 200 as every ZIM reply."""
    code = fault.code if fault.code is not None else GENERAL
    return ZimError(code, message_for(code))


def codes() -> list[tuple[str, int, str]]:
    """The table as rows (reason, code, message), for the docs."""
    return [(reason, code, message) for _any, reason, (code, message) in _TABLE.rows()]

"""IMKit's errors: the one table from core errors (reason) to IMKit's {HTTP status = RC, RM,
error.code}.

Entries are looked up by (family, reason), where the family narrows from the endpoint
("message.send") to any (None). IMKit SDKs refresh their token and retry on HTTP 401, so 401
is only ever a bad or expired user token (or a bad platform API key on an admin endpoint).
"""

from __future__ import annotations

from chatpins.core.errors import (
    ChatpinsError,
    Conflict,
    Gone,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)

BAD_REQUEST = (400, "Bad Request", "INVALID_BODY")
MISSING = (400, "Bad Request", "MISSING_PARAMETER")
INVALID_USER = (400, "Invalid parameters", "INVALID_USER_ID")
RECALLED = (400, "Bad Request", "MESSAGE_RECALLED")
TOKEN = (401, "Unauthorized", "INVALID_TOKEN")
API_KEY = (401, "Unauthorized", "INVALID_API_KEY")
CLIENT_KEY = (403, "Forbidden", "INVALID_CLIENT_KEY")
NOT_MEMBER = (403, "Forbidden", "NOT_ROOM_MEMBER")
NO_ROLE = (403, "Forbidden", "INSUFFICIENT_PERMISSIONS")
ROOM = (404, "Room not found", "ROOM_NOT_FOUND")
MESSAGE = (404, "Message not found", "MESSAGE_NOT_FOUND")
CLIENT = (404, "Client not found", "CLIENT_NOT_FOUND")
CONFLICT = (409, "Conflict", "TOKEN_CONFLICT")
TOO_MANY = (429, "Too Many Requests", "RATE_LIMIT_EXCEEDED")
INTERNAL = (500, "Internal Server Error", "INTERNAL_ERROR")
# Wire-level replies that no core error produces (chosen).
ROUTE = (404, "Not Found", "NOT_FOUND")
METHOD = (405, "Method Not Allowed", "METHOD_NOT_ALLOWED")
TOO_LARGE = (413, "Payload Too Large", "PAYLOAD_TOO_LARGE")

Entry = tuple[int, str, str]

# (family, reason) -> (HTTP status = RC, RM, error.code)
_TABLE: dict[tuple[str | None, str], Entry] = {
    # Request shape (raised by the wire layer)
    (None, "invalid_body"): BAD_REQUEST,
    (None, "missing_parameter"): MISSING,
    (None, "body_too_large"): TOO_LARGE,
    (None, "malformed_user_id"): BAD_REQUEST,
    (None, "invalid_user_name"): BAD_REQUEST,
    (None, "invalid_chat_id"): BAD_REQUEST,
    (None, "invalid_token_value"): BAD_REQUEST,
    (None, "invalid_time_field"): BAD_REQUEST,
    (None, "direct_room_members"): BAD_REQUEST,
    (None, "admin_limit"): BAD_REQUEST,
    (None, "message_type"): BAD_REQUEST,
    (None, "p2p_only_message_type"): BAD_REQUEST,
    (None, "message_self_destructing"): BAD_REQUEST,
    # Credentials (imkit.md §3)
    (None, "invalid_api_key"): API_KEY,
    (None, "invalid_client_key"): CLIENT_KEY,
    (None, "unknown_token"): TOKEN,
    (None, "expired_token"): TOKEN,
    (None, "token_of_other_app"): TOKEN,
    (None, "token_conflict"): CONFLICT,
    # Users and members
    (None, "unknown_users"): INVALID_USER,
    (None, "not_chat_members"): INVALID_USER,
    (None, "new_owner_not_member"): INVALID_USER,
    (None, "user_not_found"): CLIENT,
    (None, "member_not_found"): CLIENT,
    # Rooms
    (None, "chat_not_found"): ROOM,
    (None, "chat_dissolved"): ROOM,
    (None, "not_chat_member"): NOT_MEMBER,
    (None, "message_invisible"): NOT_MEMBER,
    (None, "may_not_send"): NOT_MEMBER,
    (None, "only_managers_may_edit"): NO_ROLE,
    (None, "only_managers_may_change_settings"): NO_ROLE,
    (None, "only_owner_may_manage_admins"): NO_ROLE,
    (None, "only_managers_may_add_members"): NO_ROLE,
    (None, "only_managers_may_remove_members"): NO_ROLE,
    (None, "cannot_remove_owner"): NO_ROLE,
    (None, "may_not_join_p2p"): NO_ROLE,
    # Messages and pins (imkit.md §7)
    (None, "message_not_found"): MESSAGE,
    (None, "message_recalled"): RECALLED,
    (None, "may_not_pin"): NO_ROLE,
    (None, "may_not_recall"): NO_ROLE,
    (None, "may_not_edit"): NO_ROLE,
    (None, "bot_disabled"): NO_ROLE,
    (None, "missing_pin_scope"): NO_ROLE,
    (None, "message_pin_rate"): TOO_MANY,
    (None, "api_rate"): TOO_MANY,
    # The vendor answers 403, not 404, when a user sends into an unknown room.
    ("message.send", "chat_not_found"): NOT_MEMBER,
}

# A reason without an entry falls back on its error type.
_BY_TYPE: list[tuple[type[ChatpinsError], Entry]] = [
    (Unauthenticated, TOKEN),
    (PermissionDenied, NO_ROLE),
    (NotFound, ROUTE),
    (Conflict, BAD_REQUEST),
    (Gone, BAD_REQUEST),
    (RateLimited, TOO_MANY),
]


class ImkitError(Exception):
    """A reply in IMKit's error envelope; HTTP status == RC."""

    def __init__(self, entry: Entry, message: str = "", retry_after: int | None = None) -> None:
        status, rm, code = entry
        super().__init__(f"{status} {code}")
        self.status = status
        self.rm = rm
        self.code = code
        self.message = message or code.replace("_", " ").capitalize()
        self.retry_after = retry_after


def to_imkit(error: ChatpinsError, family: str) -> ImkitError:
    entry = lookup(family, error.reason)
    if entry is None:
        entry = next((e for t, e in _BY_TYPE if isinstance(error, t)), BAD_REQUEST)
    retry_after = None
    if entry is TOO_MANY and isinstance(error, RateLimited):
        retry_after = error.reset_after
    return ImkitError(entry, _message(error), retry_after)


def fail(reason: str, detail: str = "", *, family: str = "") -> ImkitError:
    """A wire-level failure by reason (the request's shape, credentials)."""
    entry = lookup(family, reason) or BAD_REQUEST
    return ImkitError(entry, detail or reason.replace("_", " ").capitalize())


def lookup(family: str, reason: str) -> Entry | None:
    parts = family.split(".")
    for i in range(len(parts), 0, -1):
        entry = _TABLE.get((".".join(parts[:i]), reason))
        if entry is not None:
            return entry
    return _TABLE.get((None, reason))


def codes() -> list[tuple[str | None, str, int, str, str]]:
    """The table as rows (family, reason, RC, RM, code), for the docs."""
    return [(f, r, s, rm, c) for (f, r), (s, rm, c) in _TABLE.items()]


def _message(error: ChatpinsError) -> str:
    text = error.reason.replace("_", " ")
    return f"{text}: {error.detail}" if error.detail else text

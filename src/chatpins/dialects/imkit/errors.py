"""IMKit's errors: the one table from core errors (reason) to IMKit's {HTTP status = RC, RM,
error.code}.

Entries are looked up by (family, reason), where the family narrows from the endpoint
("message.send") to any (None). IMKit SDKs refresh their token and retry on HTTP 401, so 401
is only ever a bad or expired user token (or a bad platform API key on an admin endpoint).

Keys are core ``Reason`` members, except the wire layer's own failures (``invalid_body``,
``missing_parameter``, credentials): those never travel as a core error (``fail``) and stay
strings here.
"""

from __future__ import annotations

from http import HTTPStatus

from chatpins.core.errors import (
    BOT_CHAT_CHECKS,
    CONVERSATION_PIN_CHECKS,
    NATIVE_ONLY,
    ChatpinsError,
    Conflict,
    Gone,
    NotFound,
    PermissionDenied,
    RateLimited,
    Reason,
    Unauthenticated,
)
from chatpins.core.faults import Fault
from chatpins.dialects.shell import ErrorTable

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
_TABLE: ErrorTable[Entry] = ErrorTable(
    {
        # Request shape (raised by the wire layer)
        (None, "invalid_body"): BAD_REQUEST,
        (None, "missing_parameter"): MISSING,
        (None, "body_too_large"): TOO_LARGE,
        (None, Reason.INVALID_USER_ID): BAD_REQUEST,
        (None, Reason.INVALID_USER_NAME): BAD_REQUEST,
        (None, Reason.INVALID_CHAT_ID): BAD_REQUEST,
        (None, Reason.INVALID_TOKEN_VALUE): BAD_REQUEST,
        (None, Reason.INVALID_TIME_FIELD): BAD_REQUEST,
        (None, "direct_room_members"): BAD_REQUEST,
        (None, Reason.ADMIN_LIMIT): BAD_REQUEST,
        (None, Reason.MESSAGE_TYPE): BAD_REQUEST,
        (None, Reason.P2P_ONLY_MESSAGE_TYPE): BAD_REQUEST,
        (None, Reason.MESSAGE_SELF_DESTRUCTING): BAD_REQUEST,
        # Credentials (imkit.md §3)
        (None, "invalid_api_key"): API_KEY,
        (None, "invalid_client_key"): CLIENT_KEY,
        (None, Reason.UNKNOWN_TOKEN): TOKEN,
        (None, Reason.EXPIRED_TOKEN): TOKEN,
        (None, "token_of_other_app"): TOKEN,
        (None, Reason.TOKEN_CONFLICT): CONFLICT,
        # Users and members
        (None, Reason.UNKNOWN_USERS): INVALID_USER,
        (None, Reason.NOT_CHAT_MEMBERS): INVALID_USER,
        (None, Reason.NEW_OWNER_NOT_MEMBER): INVALID_USER,
        (None, Reason.USER_NOT_FOUND): CLIENT,
        (None, Reason.MEMBER_NOT_FOUND): CLIENT,
        # Rooms
        (None, Reason.CHAT_NOT_FOUND): ROOM,
        (None, Reason.CHAT_DISSOLVED): ROOM,
        (None, Reason.NOT_CHAT_MEMBER): NOT_MEMBER,
        (None, Reason.MESSAGE_INVISIBLE): NOT_MEMBER,
        (None, Reason.MAY_NOT_SEND): NOT_MEMBER,
        (None, Reason.ONLY_MANAGERS_MAY_EDIT): NO_ROLE,
        (None, Reason.ONLY_MANAGERS_MAY_CHANGE_SETTINGS): NO_ROLE,
        (None, Reason.ONLY_OWNER_MAY_MANAGE_ADMINS): NO_ROLE,
        (None, Reason.MAY_NOT_TRANSFER_OWNERSHIP): NO_ROLE,  # owner or API key only (imkit.md §6)
        (None, Reason.ONLY_OWNER_MAY_DISSOLVE): NO_ROLE,
        (None, Reason.ONLY_MANAGERS_MAY_ADD_MEMBERS): NO_ROLE,
        (None, Reason.ONLY_MANAGERS_MAY_REMOVE_MEMBERS): NO_ROLE,
        (None, Reason.CANNOT_REMOVE_OWNER): NO_ROLE,
        (None, Reason.MAY_NOT_JOIN_P2P): NO_ROLE,
        # Messages and pins (imkit.md §7)
        (None, Reason.MESSAGE_NOT_FOUND): MESSAGE,
        (None, Reason.MESSAGE_RECALLED): RECALLED,
        (None, Reason.MAY_NOT_PIN): NO_ROLE,
        (None, Reason.MAY_NOT_UNPIN): NO_ROLE,
        (None, Reason.MAY_NOT_RECALL): NO_ROLE,
        (None, Reason.MAY_NOT_EDIT): NO_ROLE,
        (None, Reason.BOT_DISABLED): NO_ROLE,
        (None, Reason.MISSING_PIN_SCOPE): NO_ROLE,
        (None, Reason.MESSAGE_PIN_RATE): TOO_MANY,
        (None, Reason.CHAT_MESSAGE_RATE): TOO_MANY,
        (None, "api_rate"): TOO_MANY,
        # The vendor answers 403, not 404, when a user sends into an unknown room.
        ("message.send", Reason.CHAT_NOT_FOUND): NOT_MEMBER,
    }
)

# Reasons that by design answer by their error type (``_BY_TYPE``, else 400 INVALID_BODY): no
# IMKit endpoint raises them, or the vendor has no closer code. ``tests/unit/test_error_tables.py``
# holds every other reason to an entry above.
GENERIC: frozenset[Reason] = (
    NATIVE_ONLY
    | CONVERSATION_PIN_CHECKS
    | BOT_CHAT_CHECKS
    | {
        Reason.UNKNOWN_APP,
        Reason.WRONG_SECRET,
        # Re-posting a room updates it; a lost creation race is a plain bad request.
        Reason.CHAT_EXISTS,
        Reason.DUPLICATE_KEY,
        # An IMKit room replaces its pin (one per room): a chat that refuses instead was
        # configured so through the native API, and the vendor has no code for it.
        Reason.PIN_LIMIT,
        # Apps and users are the platform's own (an unknown app is an unknown API key first).
        Reason.APP_NOT_FOUND,
        Reason.USER_EXISTS,
        Reason.CONVERSATION_PIN_LIMIT,
    }
)

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


# A fault rule's refusal (``core.faults``) by its HTTP status: IMKit names an error by its
# status (RC == status), so the status picks the entry; 401 is the one SDKs refresh tokens on.
_BY_STATUS: dict[int, Entry] = {
    entry[0]: entry
    for entry in (
        BAD_REQUEST,
        TOKEN,
        NO_ROLE,
        ROUTE,
        METHOD,
        CONFLICT,
        TOO_LARGE,
        TOO_MANY,
        INTERNAL,
    )
}


def fault_error(fault: Fault) -> ImkitError:
    status = fault.http_status or BAD_REQUEST[0]
    entry = _BY_STATUS.get(status)
    if entry is None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:  # a status no RFC names
            phrase = "Error"
        entry = (status, phrase, phrase.upper().replace(" ", "_").replace("-", "_"))
    return ImkitError(entry, retry_after=1 if status == TOO_MANY[0] else None)


lookup = _TABLE.lookup


def codes() -> list[tuple[str | None, str, int, str, str]]:
    """The table as rows (family, reason, RC, RM, code), for the docs."""
    return [(f, r, s, rm, c) for f, r, (s, rm, c) in _TABLE.rows()]


def _message(error: ChatpinsError) -> str:
    text = error.reason.replace("_", " ")
    return f"{text}: {error.detail}" if error.detail else text

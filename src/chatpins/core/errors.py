"""One error hierarchy for every use case.

Each error carries a machine ``reason`` (a ``Reason``); every dialect maps (error type, reason)
to its own wire code in a single table (``dialects/<name>/errors.py``), and a unit test
(``tests/unit/test_error_tables.py``) proves each table maps every reason or declares it a
fallback on purpose.

Where the line is: every reason a ``ChatpinsError`` carries is a ``Reason`` here, whoever
raises it (core, a dialect's request checks, the native API). A dialect's own wire failures
that never travel as a core error (ZIM's ``nonce_empty``, Feishu's token codes, IMKit's
``invalid_body``) stay strings in that dialect's table.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a use case refused. Members equal their strings (the wire and the tables use them)."""

    # Requests: shape and arguments
    INVALID_APP_NAME = "invalid_app_name"
    INVALID_CHAT_ID = "invalid_chat_id"
    INVALID_CURSOR = "invalid_cursor"
    INVALID_ID_TYPE = "invalid_id_type"
    INVALID_OWNER_ID = "invalid_owner_id"
    INVALID_RECEIVE_ID = "invalid_receive_id"
    INVALID_SETTING = "invalid_setting"
    INVALID_TIME_FIELD = "invalid_time_field"
    INVALID_TOKEN_VALUE = "invalid_token_value"
    INVALID_TTL = "invalid_ttl"
    INVALID_USER_ID = "invalid_user_id"
    INVALID_USER_NAME = "invalid_user_name"
    CONTENT_TOO_LONG = "content_too_long"
    PUBLIC_CHAT_NAME_MISSING = "public_chat_name_missing"
    PUBLIC_CHAT_NAME_TOO_SHORT = "public_chat_name_too_short"
    UNKNOWN_CHAT_ID = "unknown_chat_id"
    UNKNOWN_CREDENTIAL_KIND = "unknown_credential_kind"
    UNKNOWN_SETTING = "unknown_setting"
    UNSUPPORTED_DIALECT = "unsupported_dialect"
    # Apps, users, tokens
    APP_NOT_FOUND = "app_not_found"
    USER_NOT_FOUND = "user_not_found"
    USER_EXISTS = "user_exists"
    UNKNOWN_USERS = "unknown_users"
    UNKNOWN_APP = "unknown_app"
    WRONG_SECRET = "wrong_secret"
    UNKNOWN_TOKEN = "unknown_token"
    EXPIRED_TOKEN = "expired_token"
    TOKEN_CONFLICT = "token_conflict"
    # Chats and members
    CHAT_NOT_FOUND = "chat_not_found"
    CHAT_DISSOLVED = "chat_dissolved"
    CHAT_EXISTS = "chat_exists"
    NOT_CHAT_MEMBER = "not_chat_member"
    NOT_CHAT_MEMBERS = "not_chat_members"
    MEMBER_NOT_FOUND = "member_not_found"
    NEW_OWNER_NOT_MEMBER = "new_owner_not_member"
    CANNOT_REMOVE_OWNER = "cannot_remove_owner"
    MAY_NOT_JOIN_P2P = "may_not_join_p2p"
    MAY_NOT_TRANSFER_OWNERSHIP = "may_not_transfer_ownership"
    ONLY_MANAGERS_MAY_ADD_MEMBERS = "only_managers_may_add_members"
    ONLY_MANAGERS_MAY_CHANGE_SETTINGS = "only_managers_may_change_settings"
    ONLY_MANAGERS_MAY_EDIT = "only_managers_may_edit"
    ONLY_MANAGERS_MAY_REMOVE_MEMBERS = "only_managers_may_remove_members"
    ONLY_OWNER_MAY_DISSOLVE = "only_owner_may_dissolve"
    ONLY_OWNER_MAY_MANAGE_ADMINS = "only_owner_may_manage_admins"
    ADMIN_LIMIT = "admin_limit"
    # The app's bot
    BOT_DISABLED = "bot_disabled"
    BOT_NOT_IN_CHAT = "bot_not_in_chat"
    MISSING_PIN_SCOPE = "missing_pin_scope"
    USER_UNAVAILABLE_TO_BOT = "user_unavailable_to_bot"
    # Messages and pins
    MESSAGE_NOT_FOUND = "message_not_found"
    MESSAGE_INVISIBLE = "message_invisible"
    MESSAGE_RECALLED = "message_recalled"
    MESSAGE_SELF_DESTRUCTING = "message_self_destructing"
    MESSAGE_TYPE = "message_type"
    P2P_ONLY_MESSAGE_TYPE = "p2p_only_message_type"
    MAY_NOT_SEND = "may_not_send"
    MAY_NOT_EDIT = "may_not_edit"
    MAY_NOT_RECALL = "may_not_recall"
    MAY_NOT_PIN = "may_not_pin"
    MAY_NOT_UNPIN = "may_not_unpin"
    MAY_NOT_REORDER = "may_not_reorder"
    MAY_NOT_EDIT_PIN = "may_not_edit_pin"
    PIN_LIMIT = "pin_limit"
    CHAT_MESSAGE_RATE = "chat_message_rate"
    MESSAGE_PIN_RATE = "message_pin_rate"
    # Conversations (ZIM's pinned conversation list)
    OPERATOR_NOT_REGISTERED = "operator_not_registered"
    PEER_NOT_REGISTERED = "peer_not_registered"
    SELF_CONVERSATION = "self_conversation"
    GROUP_NOT_FOUND = "group_not_found"
    NOT_GROUP_MEMBER = "not_group_member"
    CONVERSATION_PIN_LIMIT = "conversation_pin_limit"
    # Native API: admin key, event streams, webhooks
    MISSING_ADMIN_KEY = "missing_admin_key"
    WRONG_ADMIN_KEY = "wrong_admin_key"
    MISSING_CREDENTIALS = "missing_credentials"
    UNKNOWN_CREDENTIALS = "unknown_credentials"
    APP_ID_REQUIRED = "app_id_required"
    UNKNOWN_FORMAT = "unknown_format"
    EVENT_NOT_FOUND = "event_not_found"
    INVALID_WEBHOOK_URL = "invalid_webhook_url"
    WEBHOOK_TARGET_REFUSED = "webhook_target_refused"
    URL_VERIFICATION_FAILED = "url_verification_failed"
    UNKNOWN_EVENT_TYPES = "unknown_event_types"
    UNKNOWN_WEBHOOK_FORMAT = "unknown_webhook_format"
    WEBHOOK_LIMIT = "webhook_limit"
    WEBHOOK_NOT_FOUND = "webhook_not_found"
    INVALID_POSITION = "invalid_position"
    INVALID_EXPIRY = "invalid_expiry"
    VERSION_MISMATCH = "version_mismatch"
    INVALID_ORDER = "invalid_order"
    PIN_NOT_FOUND = "pin_not_found"
    PLATFORM_ONLY = "platform_only"
    INVALID_LIMIT = "invalid_limit"
    MEMBER_EXISTS = "member_exists"
    INVALID_ROLE = "invalid_role"
    INVALID_VERSION = "invalid_version"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    ALREADY_PINNED = "already_pinned"
    NOT_MUST_READ = "not_must_read"
    USER_ID_REQUIRED = "user_id_required"
    INVALID_BATCH = "invalid_batch"
    ONLY_OWNER_MAY_CHANGE_PIN_POLICY = "only_owner_may_change_pin_policy"
    INVALID_PIN_POLICY = "invalid_pin_policy"
    NOT_YOUR_CONVERSATIONS = "not_your_conversations"
    GLOBAL_PIN = "global_pin"
    CONVERSATION_NOT_PINNED = "conversation_not_pinned"
    GLOBAL_PIN_NOT_FOUND = "global_pin_not_found"
    GLOBAL_PIN_LIMIT = "global_pin_limit"
    NOT_A_GROUP = "not_a_group"
    # The controls a test suite steers the server with (clock, fault rules, reset) are off
    TEST_CONTROLS_DISABLED = "test_controls_disabled"
    INVALID_CLOCK = "invalid_clock"
    FAULT_RULE_LIMIT = "fault_rule_limit"
    # Storage: a uniqueness race lost
    DUPLICATE_KEY = "duplicate_key"


# Reasons only the native API (``/v1``, the admin key, event streams, webhooks) raises: no
# dialect endpoint reaches them, so every dialect leaves them to its generic code by design.
NATIVE_ONLY: frozenset[Reason] = frozenset(
    {
        Reason.INVALID_APP_NAME,
        Reason.INVALID_CURSOR,
        Reason.INVALID_ID_TYPE,
        Reason.INVALID_SETTING,
        Reason.INVALID_TTL,
        Reason.UNKNOWN_CREDENTIAL_KIND,
        Reason.UNKNOWN_SETTING,
        Reason.UNSUPPORTED_DIALECT,
        Reason.MISSING_ADMIN_KEY,
        Reason.WRONG_ADMIN_KEY,
        Reason.MISSING_CREDENTIALS,
        Reason.UNKNOWN_CREDENTIALS,
        Reason.APP_ID_REQUIRED,
        Reason.UNKNOWN_FORMAT,
        Reason.EVENT_NOT_FOUND,
        Reason.INVALID_WEBHOOK_URL,
        Reason.WEBHOOK_TARGET_REFUSED,
        Reason.URL_VERIFICATION_FAILED,
        Reason.UNKNOWN_EVENT_TYPES,
        Reason.UNKNOWN_WEBHOOK_FORMAT,
        Reason.WEBHOOK_LIMIT,
        Reason.WEBHOOK_NOT_FOUND,
        Reason.INVALID_POSITION,
        Reason.INVALID_EXPIRY,
        Reason.VERSION_MISMATCH,
        Reason.INVALID_ORDER,
        Reason.PIN_NOT_FOUND,
        Reason.PLATFORM_ONLY,
        Reason.INVALID_LIMIT,
        Reason.MEMBER_EXISTS,
        Reason.INVALID_ROLE,
        Reason.INVALID_VERSION,
        Reason.IDEMPOTENCY_KEY_REUSED,
        Reason.ALREADY_PINNED,
        Reason.NOT_MUST_READ,
        Reason.USER_ID_REQUIRED,
        Reason.INVALID_BATCH,
        Reason.ONLY_OWNER_MAY_CHANGE_PIN_POLICY,
        Reason.INVALID_PIN_POLICY,
        Reason.MAY_NOT_REORDER,
        Reason.MAY_NOT_EDIT_PIN,
        Reason.NOT_YOUR_CONVERSATIONS,
        Reason.GLOBAL_PIN,
        Reason.CONVERSATION_NOT_PINNED,
        Reason.GLOBAL_PIN_NOT_FOUND,
        Reason.GLOBAL_PIN_LIMIT,
        Reason.NOT_A_GROUP,
        Reason.TEST_CONTROLS_DISABLED,
        Reason.INVALID_CLOCK,
        Reason.FAULT_RULE_LIMIT,
    }
)


# Reasons raised only behind one family of requests, named so that a dialect without such
# requests declares them answered by its generic code in one line.
# A bot's chat requests (chat creation checks, the app's bot and its availability).
BOT_CHAT_CHECKS: frozenset[Reason] = frozenset(
    {
        Reason.CONTENT_TOO_LONG,
        Reason.INVALID_RECEIVE_ID,
        Reason.INVALID_OWNER_ID,
        Reason.PUBLIC_CHAT_NAME_MISSING,
        Reason.PUBLIC_CHAT_NAME_TOO_SHORT,
        Reason.UNKNOWN_CHAT_ID,
        Reason.BOT_NOT_IN_CHAT,
        Reason.USER_UNAVAILABLE_TO_BOT,
    }
)
# Pinning conversations to a user's list (who pins, which conversation).
CONVERSATION_PIN_CHECKS: frozenset[Reason] = frozenset(
    {
        Reason.OPERATOR_NOT_REGISTERED,
        Reason.PEER_NOT_REGISTERED,
        Reason.SELF_CONVERSATION,
        Reason.GROUP_NOT_FOUND,
        Reason.NOT_GROUP_MEMBER,
    }
)


class ChatpinsError(Exception):
    """Base of every error a use case raises on purpose."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        self.reason = Reason(reason)
        super().__init__(f"{self.reason}: {detail}" if detail else str(self.reason))
        self.detail = detail


class InvalidArgument(ChatpinsError):
    """The request is malformed or names something that cannot exist."""


class NotFound(ChatpinsError):
    """The named entity does not exist in this app (other apps' entities included)."""


class PermissionDenied(ChatpinsError):
    """The actor may not do this."""


class Conflict(ChatpinsError):
    """The change contradicts the current state."""


class LimitExceeded(ChatpinsError):
    """A cap (pins per chat, managers per chat, …) would be broken."""


class RateLimited(ChatpinsError):
    """Too many operations in a time window."""

    def __init__(
        self,
        reason: Reason,
        detail: str = "",
        *,
        limit: int = 0,
        reset_after: int = 1,
    ) -> None:
        super().__init__(reason, detail)
        self.limit = limit
        self.reset_after = reset_after


class PreconditionFailed(ChatpinsError):
    """The caller's condition on the current state (a version it read) no longer holds."""


class Gone(ChatpinsError):
    """The entity existed but is no longer usable (dissolved chat, recalled message)."""


class Unsupported(ChatpinsError):
    """The operation is not supported for this kind of entity."""


class Unauthenticated(ChatpinsError):
    """Credentials are missing, unknown, expired or revoked."""

"""Plain domain entities. Times are integer milliseconds since the Unix epoch, UTC."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

# A JSON object as core carries it (event payloads, a chat's dialect attributes): built from
# str, int, float, bool, None, lists and such objects; rendered by the dialects unchanged.
JsonObject = dict[str, Any]


class ChatKind(StrEnum):
    P2P = "p2p"
    GROUP = "group"


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"

    def at_least(self, lowest: Role) -> bool:
        """Whether this role is ``lowest`` or above it (member < admin < owner)."""
        return _ROLE_LEVEL[self] >= _ROLE_LEVEL[lowest]


_ROLE_LEVEL = {Role.MEMBER: 0, Role.ADMIN: 1, Role.OWNER: 2}


class PinRight(StrEnum):
    """What a chat's pin policy grants, each to a lowest role (``PinRights``)."""

    PIN = "pin"
    UNPIN_OWN = "unpin_own"  # a pin the actor made
    UNPIN_ANY = "unpin_any"
    REORDER = "reorder"
    EDIT = "edit"  # a pin's note, expiry and must-read flag


@dataclass(frozen=True)
class PinRights:
    """The lowest role allowed each ``PinRight`` in a chat. Each dialect's defaults are one
    such policy: IMKit rooms admin for all, Feishu ``all_members`` member for all and
    ``only_owner`` admin for all."""

    pin: Role = Role.MEMBER
    unpin_own: Role = Role.MEMBER
    unpin_any: Role = Role.MEMBER
    reorder: Role = Role.MEMBER
    edit: Role = Role.MEMBER

    @classmethod
    def every(cls, role: Role) -> PinRights:
        return cls(role, role, role, role, role)

    def lowest(self, right: PinRight) -> Role:
        role: Role = getattr(self, right.value)
        return role


class Permission(StrEnum):
    """Who may change a chat's profile or add members (Feishu's two-valued settings)."""

    MEMBERS = "members"
    OWNER_ADMINS = "owner_admins"


class TokenKind(StrEnum):
    TENANT = "tenant"  # Feishu tenant_access_token: acts as the app's bot
    APP = "app"  # Feishu app_access_token
    USER = "user"  # acts as one user of the app


class PinAction(StrEnum):
    """What a row of a chat's pin history records."""

    ADDED = "added"
    REMOVED = "removed"
    REPLACED = "replaced"  # removed to make room under a one-pin rule (IMKit)
    EVICTED = "evicted"  # removed to make room under a cap
    EXPIRED = "expired"
    REORDERED = "reordered"
    EDITED = "edited"  # its note, expiry or must-read flag changed
    RESTORED = "restored"  # pinned again from its history
    SCHEDULED = "scheduled"  # to start at ``starts_at`` (``added`` follows when it does)


class Overflow(StrEnum):
    """What a pin does when the chat already holds ``max_pins`` pins."""

    REJECT = "reject"
    EVICT_OLDEST = "evict_oldest"  # remove the pin pinned longest ago (``pinned_at``)
    EVICT_LAST = "evict_last"  # remove the pin in the lowest position (``rank``)


# The last millisecond of year 9999: the latest time every dialect can render as a date.
MAX_TIME_MS = 253_402_300_799_999


@dataclass(frozen=True)
class AppClock:
    """Where a test put an app's clock (``PUT /v1/apps/{id}/clock``): running ``offset_ms``
    ahead of the real time (behind when negative), or stopped at ``frozen_at_ms``. The default
    is the real time."""

    offset_ms: int = 0
    frozen_at_ms: int | None = None

    @property
    def is_moved(self) -> bool:
        return self.offset_ms != 0 or self.frozen_at_ms is not None

    def read(self, real_ms: int) -> int:
        return self.frozen_at_ms if self.frozen_at_ms is not None else real_ms + self.offset_ms


@dataclass
class App:
    """A tenant. Every other entity lives in exactly one app's namespace."""

    id: str
    name: str
    created_at: int
    feishu_app_id: str
    feishu_secret_hash: str
    # IMKit: the client key is public (it identifies the app); the platform API key is a secret
    # that only needs checking, so only its hash is kept.
    imkit_client_key: str = ""
    imkit_api_key_hash: str = ""
    # ZIM: a uint32 AppId and the ServerSecret. The secret is kept as is: ZIM's signature is
    # MD5(AppId + nonce + ServerSecret + timestamp), which can only be checked with the secret.
    zim_app_id: int = 0
    zim_server_secret: str = ""
    # Capabilities a real platform grants outside the API; configurable so users can reproduce
    # the vendor errors that depend on them (Feishu 230006, 230027, 230013).
    bot_enabled: bool = True
    pin_scope_granted: bool = True
    unavailable_user_ids: list[str] = field(default_factory=list)
    # Platform limits per API endpoint (Feishu tier: 50/s and 1000/min); 0 disables.
    api_rate_per_second: int = 50
    api_rate_per_minute: int = 1000
    # Messages per second into one chat (Feishu 230020: 5 QPS per group); 0 disables.
    message_rate_per_second: int = 5
    # ZIM's per-action QPS limits (20/s per AppId, 1/s per group, …); off for load tests.
    zim_rate_limits: bool = True
    # The native API key (``cpk_…``), kept as its hash only; None: the app has none yet.
    native_api_key_hash: str | None = None
    # How many conversations one user may pin (ZIM 660800048 says 100, the default).
    conversation_pin_cap: int = 100
    # The pin policy (``max_pins``, ``overflow``, ``permissions``) chats made through the native
    # API start with, as the native API spells it; None: the built-in one. Vendor dialects keep
    # their vendor's defaults.
    native_pin_policy: JsonObject | None = None
    # The app's own time, moved only by a test suite (and only where test controls are on).
    clock: AppClock = field(default_factory=AppClock)

    @property
    def bot_user_id(self) -> str:
        """The app's own bot is a user of the app whose id is the app's Feishu ``cli_`` id."""
        return self.feishu_app_id


@dataclass
class User:
    app_id: str
    id: str
    name: str
    is_bot: bool
    registered_at: int
    open_id: str
    union_id: str
    avatar: str = ""


@dataclass
class ChatLimits:
    """Limits a chat carries from the dialect that created it; core applies them without
    knowing whose they are (none: no such limit)."""

    max_admins: int | None = None
    # Pin and unpin operations per second on one message.
    pin_rate_per_message: int | None = None
    # Message types that cannot be pinned.
    unpinnable_types: list[str] = field(default_factory=list)


@dataclass
class Chat:
    app_id: str
    id: str
    kind: ChatKind
    name: str
    creator_id: str
    created_at: int
    owner_id: str | None = None
    description: str = ""
    dissolved_at: int | None = None
    pin_rights: PinRights = field(default_factory=PinRights)
    # The lowest role that may hand the chat to a new owner; its creator always may.
    transfer_role: Role = Role.OWNER
    edit_permission: Permission = Permission.MEMBERS
    add_member_permission: Permission = Permission.MEMBERS
    max_pins: int | None = None
    overflow: Overflow = Overflow.REJECT
    limits: ChatLimits = field(default_factory=ChatLimits)
    pin_version: int = 0
    dialect: str = "native"
    # Dialect-specific settings a chat carries and shows back unchanged (e.g. Feishu's
    # ``chat_type`` or ``join_message_visibility``); core never interprets them.
    attributes: JsonObject = field(default_factory=dict)
    create_key: str | None = None
    # Time of the last message (or creation): conversation lists order by it.
    last_activity_at: int = 0

    @property
    def dissolved(self) -> bool:
        return self.dissolved_at is not None


@dataclass
class Member:
    app_id: str
    chat_id: str
    user_id: str
    role: Role
    joined_at: int


@dataclass
class Message:
    app_id: str
    id: str
    chat_id: str
    sender_id: str
    type: str
    content: str
    created_at: int
    updated_at: int
    recalled_at: int | None = None
    # A self-destructing message: set while it waits for its scheduled deletion.
    expires_at: int | None = None
    # ``None`` means everyone in the chat may see it; otherwise only these users, its sender
    # and the app itself (``policies.can_see``, the one rule every read applies).
    visible_to: list[str] | None = None
    send_key: str | None = None

    @property
    def recalled(self) -> bool:
        return self.recalled_at is not None

    def visible_for(self, user_id: str) -> bool:
        """Whether this user is in the message's audience: everyone when it is unrestricted,
        else the listed users and its sender (who cannot be kept from what they wrote)."""
        return self.visible_to is None or user_id == self.sender_id or user_id in self.visible_to

    def is_expired(self, now: int) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass
class Pin:
    app_id: str
    chat_id: str
    message_id: str
    pinned_by: str
    pinned_at: int  # when
    # Where: a fractional key (``core.ranks``); pins list in ascending key order, the top
    # first. Independent of time, so an insert or a move rewrites this one row.
    rank: str
    dialect: str
    id: int | None = None
    expires_at: int | None = None
    note: str = ""
    must_read: bool = False  # members are asked to acknowledge it (``pin_acks``)
    # A scheduled pin: invisible to every read and cap until the sweeper starts it at
    # ``starts_at`` (then ``scheduled`` turns false and ``pinned_at`` becomes the start).
    starts_at: int | None = None
    scheduled: bool = False

    def in_force(self, now: int) -> bool:
        """Started and until its expiry; a pin whose time is up counts for nothing, swept or
        not."""
        return not self.scheduled and (self.expires_at is None or self.expires_at > now)

    def is_due(self, now: int) -> bool:
        """Its time is up (whether it ever started): the sweeper removes it as ``expired``."""
        return self.expires_at is not None and self.expires_at <= now


@dataclass
class ConversationPin:
    """A chat pinned to the top of one user's conversation list."""

    app_id: str
    user_id: str
    chat_id: str
    pinned_at: int
    rank: str  # where in the user's pinned order: a fractional key, as ``Pin.rank``
    expires_at: int | None = None

    def in_force(self, now: int) -> bool:
        """Until its expiry; a pin whose time is up counts for nothing, swept or not."""
        return self.expires_at is None or self.expires_at > now


class ListedConversation(NamedTuple):
    """One of a user's conversations as its list orders them (a read of several tables)."""

    chat_id: str
    kind: ChatKind
    name: str
    last_activity_at: int
    user_rank: str | None  # the user's own pin in force, if any
    user_pinned_at: int | None
    user_expires_at: int | None
    global_rank: str | None  # the app's global pin, if any
    global_pinned_at: int | None


@dataclass
class GlobalPin:
    """A chat the app pinned to the top of every member's conversation list; members cannot
    unpin it. Global pins are ordered among themselves by ``rank``."""

    app_id: str
    chat_id: str
    pinned_at: int
    rank: str
    pinned_by: str


@dataclass
class Token:
    """An access token, stored only as its hash."""

    token_hash: str
    app_id: str
    kind: TokenKind
    dialect: str
    issued_at: int
    expires_at: int
    user_id: str | None = None
    nonce: str = ""
    revoked_at: int | None = None


@dataclass
class PinChange:
    """One row of a chat's pin history."""

    chat_id: str
    message_id: str
    action: PinAction
    actor_id: str | None
    dialect: str
    at: int
    reason: str
    version: int
    id: int | None = None  # assigned when written; orders a chat's history
    # The pin as it was at the change: what a restore brings back.
    note: str = ""
    must_read: bool = False


@dataclass
class Event:
    """An outbox row, written in the same transaction as the change it describes."""

    type: str
    payload: JsonObject
    audience: str = "app"
    seq: int = 0  # assigned when written
    created_at: int = 0


class WebhookStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # after too many failures in a row, or by hand; resumes where it stopped


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # due at next_attempt_at (a retry is pending too)
    DELIVERED = "delivered"
    FAILED = "failed"  # out of attempts; can be retried by hand


@dataclass
class Webhook:
    """An app's subscription: events of the chosen types, POSTed to ``url`` in ``format``."""

    app_id: str
    id: str
    url: str
    format: str  # native | feishu
    event_types: list[str]  # empty: every type the format has
    secret: str  # native: the signing secret; feishu: the encrypt key ("" = plain JSON)
    verification_token: str  # feishu: the envelope's header.token
    status: WebhookStatus
    consecutive_failures: int
    cursor: int  # the newest seq already turned into deliveries
    created_at: int
    paused_at: int | None = None


@dataclass
class Delivery:
    """One event for one webhook, tried until delivered or out of attempts."""

    app_id: str
    id: str
    webhook_id: str
    seq: int
    event_type: str
    event_id: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: int
    created_at: int
    leased_until: int = 0
    delivered_at: int | None = None
    last_status_code: int | None = None
    last_error: str | None = None


@dataclass
class Attempt:
    delivery_id: str
    number: int
    at: int
    duration_ms: int
    status_code: int | None = None
    error: str | None = None

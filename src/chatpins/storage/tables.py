"""The schema. Every table carries ``app_id`` so it can be distributed by tenant: its primary
key and unique keys lead with it (``storage/distribution.py`` names the few tables that are
laid out otherwise, and ``tests/integration/test_distribution_keys.py`` holds the migrated
schema to it).

Changes go through Alembic migrations in ``storage/migrations``; keep this file and the latest
migration in step (``tests/integration/test_migrations.py`` compares them).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# Long enough for every dialect's user names (ZIM: 256 bytes, i.e. up to 256 characters).
MAX_USER_NAME = 512

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT from a sequence.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Position keys compare byte by byte (``core.ranks``): SQLite's default collation does;
# PostgreSQL's database collation may not ("a" < "B" under en_US), so the column says "C".
MAX_POSITION_KEY = 255
PositionKey = sa.String(MAX_POSITION_KEY).with_variant(
    sa.String(MAX_POSITION_KEY, collation="C"), "postgresql"
)


def _tenant_serial_key(table: str) -> sa.PrimaryKeyConstraint:
    """The key of a table whose ``id`` comes from a counter: ``(app_id, id)``, as PostgreSQL
    has it, so the table distributes by tenant.

    SQLite keeps ``id INTEGER PRIMARY KEY``, the rowid alias, the only column it auto-increments
    (a two-column key would lose that); its tables are never distributed. Migration 0014 gives
    each backend its form, and ``test_distribution_keys`` checks both (Alembic's comparison in
    ``test_migrations`` does not look at primary keys).
    """
    return sa.PrimaryKeyConstraint("app_id", "id", name=f"{table}_pkey")


server_settings = sa.Table(
    "server_settings",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

apps = sa.Table(
    "apps",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("feishu_app_id", sa.String(64), nullable=False, unique=True),
    sa.Column("feishu_secret_hash", sa.String(128), nullable=False),
    sa.Column("imkit_client_key", sa.String(255), nullable=False),
    sa.Column("imkit_api_key_hash", sa.String(128), nullable=False),
    sa.Column("zim_app_id", sa.BigInteger, nullable=False),
    sa.Column("zim_server_secret", sa.String(64), nullable=False),
    sa.Column("bot_enabled", sa.Boolean, nullable=False, default=True),
    sa.Column("pin_scope_granted", sa.Boolean, nullable=False, default=True),
    sa.Column("unavailable_user_ids", sa.JSON, nullable=False, default=list),
    sa.Column("api_rate_per_second", sa.Integer, nullable=False, default=50),
    sa.Column("api_rate_per_minute", sa.Integer, nullable=False, default=1000),
    sa.Column("message_rate_per_second", sa.Integer, nullable=False, default=5),
    sa.Column(
        "zim_rate_limits", sa.Boolean, nullable=False, default=True, server_default=sa.true()
    ),
    # The native API key's hash; null for apps made before the native API (until rotated).
    sa.Column("native_api_key_hash", sa.String(128)),
    sa.Column(
        "conversation_pin_cap", sa.Integer, nullable=False, default=100, server_default="100"
    ),
    # The pin policy chats created through the native API start with; null: the built-in one.
    sa.Column("native_pin_policy", sa.JSON),
    # A test's moved clock for the app (entities.AppClock); 0 and null: the real time.
    sa.Column("clock_offset_ms", sa.BigInteger, nullable=False, default=0, server_default="0"),
    sa.Column("clock_frozen_at_ms", sa.BigInteger),
    sa.UniqueConstraint("native_api_key_hash", name="uq_apps_native_api_key_hash"),
    sa.UniqueConstraint("imkit_client_key", name="uq_apps_imkit_client_key"),
    sa.UniqueConstraint("imkit_api_key_hash", name="uq_apps_imkit_api_key_hash"),
    sa.UniqueConstraint("zim_app_id", name="uq_apps_zim_app_id"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("app_id", sa.String(64), primary_key=True),
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("name", sa.String(MAX_USER_NAME), nullable=False),
    sa.Column("avatar", sa.Text, nullable=False, default=""),
    sa.Column("is_bot", sa.Boolean, nullable=False, default=False),
    sa.Column("registered_at", sa.BigInteger, nullable=False),
    sa.Column("open_id", sa.String(64), nullable=False),
    sa.Column("union_id", sa.String(64), nullable=False),
    sa.UniqueConstraint("app_id", "open_id", name="uq_users_open_id"),
    sa.UniqueConstraint("app_id", "union_id", name="uq_users_union_id"),
)

chats = sa.Table(
    "chats",
    metadata,
    sa.Column("app_id", sa.String(64), primary_key=True),
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("name", sa.Text, nullable=False, default=""),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("owner_id", sa.String(128)),
    sa.Column("creator_id", sa.String(128), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("dissolved_at", sa.BigInteger),
    # The chat's pin policy: the lowest role allowed each pin right (``PinRights``).
    sa.Column("pin_rights_pin", sa.String(16), nullable=False),
    sa.Column("pin_rights_unpin_own", sa.String(16), nullable=False),
    sa.Column("pin_rights_unpin_any", sa.String(16), nullable=False),
    sa.Column("pin_rights_reorder", sa.String(16), nullable=False),
    sa.Column("pin_rights_edit", sa.String(16), nullable=False),
    sa.Column("transfer_role", sa.String(16), nullable=False),
    sa.Column("edit_permission", sa.String(16), nullable=False),
    sa.Column("add_member_permission", sa.String(16), nullable=False),
    sa.Column("max_pins", sa.Integer),
    sa.Column("overflow", sa.String(16), nullable=False),
    # Limits from the creating dialect (``ChatLimits``); null: none.
    sa.Column("limits_max_admins", sa.Integer),
    sa.Column("limits_pin_rate_per_message", sa.Integer),
    sa.Column(
        "limits_unpinnable_types", sa.JSON, nullable=False, default=list, server_default="[]"
    ),
    sa.Column("pin_version", sa.BigInteger, nullable=False, default=0),
    sa.Column("dialect", sa.String(16), nullable=False),
    sa.Column("attributes", sa.JSON, nullable=False, default=dict),
    sa.Column("create_key", sa.String(255)),
    sa.Column("last_activity_at", sa.BigInteger, nullable=False, default=0, server_default="0"),
    sa.Index("ix_chats_create_key", "app_id", "create_key"),
)

members = sa.Table(
    "members",
    metadata,
    sa.Column("app_id", sa.String(64), primary_key=True),
    sa.Column("chat_id", sa.String(128), primary_key=True),
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("joined_at", sa.BigInteger, nullable=False),
    # The chat's last activity, copied to each member row so one user's conversations come
    # newest first straight off an index (a conversation list needs no sort over them all).
    sa.Column("last_activity_at", sa.BigInteger, nullable=False, default=0, server_default="0"),
    sa.Index("ix_members_user", "app_id", "user_id"),
    sa.Index("ix_members_activity", "app_id", "user_id", "last_activity_at", "chat_id"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("app_id", sa.String(64), primary_key=True),
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("chat_id", sa.String(128), nullable=False),
    sa.Column("sender_id", sa.String(128), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Column("recalled_at", sa.BigInteger),
    sa.Column("expires_at", sa.BigInteger),
    sa.Column("visible_to", sa.JSON),
    sa.Column("send_key", sa.String(255)),
    sa.Index("ix_messages_chat", "app_id", "chat_id", "created_at"),
    sa.Index("ix_messages_send_key", "app_id", "send_key"),
)

pins = sa.Table(
    "pins",
    metadata,
    sa.Column("id", BigId, autoincrement=True),
    sa.Column("app_id", sa.String(64), nullable=False),
    sa.Column("chat_id", sa.String(128), nullable=False),
    sa.Column("message_id", sa.String(128), nullable=False),
    sa.Column("pinned_by", sa.String(128), nullable=False),
    sa.Column("pinned_at", sa.BigInteger, nullable=False),
    sa.Column("rank", PositionKey, nullable=False),
    sa.Column("dialect", sa.String(16), nullable=False),
    sa.Column("expires_at", sa.BigInteger),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("must_read", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    sa.Column("starts_at", sa.BigInteger),
    sa.Column("scheduled", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    _tenant_serial_key("pins"),
    # At most one active pin per message, whatever the interleaving of requests.
    sa.UniqueConstraint("app_id", "message_id", name="uq_pins_message"),
    sa.Index("ix_pins_chat_time", "app_id", "chat_id", "pinned_at", "id"),
    sa.Index("ix_pins_chat_rank", "app_id", "chat_id", "rank", "id"),
    # The sweeper's search for pins whose time is up, and for scheduled pins to start.
    sa.Index("ix_pins_expiry", "expires_at"),
    sa.Index("ix_pins_start", "starts_at"),
)

pin_history = sa.Table(
    "pin_history",
    metadata,
    sa.Column("id", BigId, autoincrement=True),
    sa.Column("app_id", sa.String(64), nullable=False),
    sa.Column("chat_id", sa.String(128), nullable=False),
    sa.Column("message_id", sa.String(128), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("actor_id", sa.String(128)),
    sa.Column("dialect", sa.String(16), nullable=False),
    sa.Column("at", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    # The pin as it was at the change: what a restore brings back.
    sa.Column("note", sa.Text, nullable=False, default="", server_default=""),
    sa.Column("must_read", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    _tenant_serial_key("pin_history"),
    sa.Index("ix_pin_history_chat", "app_id", "chat_id", "id"),
    sa.Index("ix_pin_history_message", "app_id", "message_id", "id"),
)

# Who acknowledged a must-read pin. Rows belong to one pin (its id): unpinning forgets them.
pin_acks = sa.Table(
    "pin_acks",
    metadata,
    sa.Column("app_id", sa.String(64), primary_key=True),
    sa.Column("pin_id", sa.BigInteger, primary_key=True),
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("chat_id", sa.String(128), nullable=False),
    sa.Column("at", sa.BigInteger, nullable=False),
)

# The first reply to a request sent with an Idempotency-Key, kept 24 h.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("app_id", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("reply", sa.JSON, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

conversation_pins = sa.Table(
    "conversation_pins",
    metadata,
    sa.Column("app_id", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("chat_id", sa.String(128), primary_key=True),
    sa.Column("pinned_at", sa.BigInteger, nullable=False),
    sa.Column("rank", PositionKey, nullable=False),
    sa.Column("expires_at", sa.BigInteger),
    # The sweeper's search for conversation pins whose time is up.
    sa.Index("ix_conversation_pins_expiry", "expires_at"),
)

# Chats the app pinned to the top of every member's conversation list.
global_pins = sa.Table(
    "global_pins",
    metadata,
    sa.Column("app_id", sa.String(64), primary_key=True),
    sa.Column("chat_id", sa.String(128), primary_key=True),
    sa.Column("pinned_at", sa.BigInteger, nullable=False),
    sa.Column("rank", PositionKey, nullable=False),
    sa.Column("pinned_by", sa.String(128), nullable=False),
)

# Request nonces seen recently (ZIM signatures): a replayed nonce is refused, also after a
# restart and across instances sharing the database.
nonces = sa.Table(
    "nonces",
    metadata,
    sa.Column("app_id", sa.String(64), primary_key=True),
    sa.Column("nonce", sa.String(128), primary_key=True),
    sa.Column("seen_at", sa.BigInteger, nullable=False),
    # Dropping an app's nonces past their window (a range within the app's shard).
    sa.Index("ix_nonces_app_seen_at", "app_id", "seen_at"),
)

# Looked up by the hash of the token a request carries, before its app is known: distributed
# by ``token_hash``, not by app (``storage/distribution.py`` says why).
tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("app_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("dialect", sa.String(16), nullable=False),
    sa.Column("user_id", sa.String(128)),
    sa.Column("issued_at", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False),
    sa.Column("nonce", sa.String(64), nullable=False, default=""),
    sa.Column("revoked_at", sa.BigInteger),
    sa.Index("ix_tokens_latest", "app_id", "kind", "dialect", "issued_at"),
)

# Each app's newest event ``seq``, one row per app made with it: every change bumps it in its
# own transaction. Not a column of ``apps``: that is a reference table on Citus, where every
# write to it takes a cluster-wide lock; here the bump stays on the app's shard, with its
# events. An app reset keeps the row, so ``seq`` keeps growing (``storage/app_rows.py``).
event_counters = sa.Table(
    "event_counters",
    metadata,
    sa.Column("app_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False, default=0),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("app_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("audience", sa.String(160), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

# Every statement on the webhook tables names the app (the worker's calls pass the webhook or the
# delivery), so the keys that lead with ``app_id`` serve them; no index on ``id`` alone is kept.
webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("app_id", sa.String(64), primary_key=True),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("event_types", sa.JSON, nullable=False),
    # The signing secret (native) or encrypt key (Feishu): kept in the clear, since every
    # delivery is signed with it.
    sa.Column("secret", sa.String(255), nullable=False, default=""),
    sa.Column("verification_token", sa.String(255), nullable=False, default=""),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("consecutive_failures", sa.Integer, nullable=False, default=0),
    # The newest event seq already turned into deliveries.
    sa.Column("cursor", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("paused_at", sa.BigInteger),
    sa.Index("ix_webhooks_app", "app_id", "created_at"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("app_id", sa.String(64), primary_key=True),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("webhook_id", sa.String(64), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", sa.BigInteger, nullable=False),
    sa.Column("leased_until", sa.BigInteger, nullable=False, default=0),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("delivered_at", sa.BigInteger),
    sa.Column("last_status_code", sa.Integer),
    sa.Column("last_error", sa.String(500)),
    sa.UniqueConstraint(
        "app_id", "webhook_id", "seq", "event_type", name="uq_webhook_deliveries_event"
    ),
    sa.Index("ix_webhook_deliveries_due", "webhook_id", "status", "next_attempt_at"),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column("app_id", sa.String(64), primary_key=True),
    sa.Column("delivery_id", sa.String(64), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("at", sa.BigInteger, nullable=False),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("error", sa.String(500)),
)

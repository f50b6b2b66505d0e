"""Conversation pins get position keys and an expiry; global pins; per-app conversation pin
cap and native pin policy

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30

- ``conversation_pins.rank`` was a counter (append order); it becomes a position key compared
  byte by byte, as ``pins.rank`` did in 0007. Each user's pins keep their order.
- ``conversation_pins.expires_at`` (null: no expiry), indexed for the sweeper.
- ``global_pins``: chats an app pinned to the top of every member's list.
- ``apps.conversation_pin_cap`` (100, ZIM's cap, for every app made before) and
  ``apps.native_pin_policy`` (null: the built-in native policy).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from fractional_indexing import generate_n_keys_between

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

POSITION_KEY = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")
_KEY = "app_id = :app_id AND user_id = :user_id AND chat_id = :chat_id"


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT app_id, user_id, chat_id FROM conversation_pins "
            "ORDER BY app_id, user_id, rank, chat_id"
        )
    ).all()
    with op.batch_alter_table("conversation_pins") as batch_op:
        batch_op.alter_column(
            "rank",
            existing_type=sa.BigInteger(),
            type_=POSITION_KEY,
            existing_nullable=False,
            postgresql_using="rank::text",
        )
        batch_op.add_column(sa.Column("expires_at", sa.BigInteger, nullable=True))
    by_user: dict[tuple[str, str], list[str]] = {}
    for app_id, user_id, chat_id in rows:
        by_user.setdefault((app_id, user_id), []).append(chat_id)
    update = sa.text(f"UPDATE conversation_pins SET rank = :rank WHERE {_KEY}")
    for (app_id, user_id), chat_ids in by_user.items():
        keys = generate_n_keys_between(None, None, len(chat_ids))
        conn.execute(
            update,
            [
                {"rank": k, "app_id": app_id, "user_id": user_id, "chat_id": c}
                for k, c in zip(keys, chat_ids, strict=True)
            ],
        )
    op.create_index("ix_conversation_pins_expiry", "conversation_pins", ["expires_at"])
    op.create_table(
        "global_pins",
        sa.Column("app_id", sa.String(64), primary_key=True),
        sa.Column("chat_id", sa.String(128), primary_key=True),
        sa.Column("pinned_at", sa.BigInteger, nullable=False),
        sa.Column("rank", POSITION_KEY, nullable=False),
        sa.Column("pinned_by", sa.String(128), nullable=False),
    )
    with op.batch_alter_table("apps") as batch_op:
        batch_op.add_column(
            sa.Column("conversation_pin_cap", sa.Integer, nullable=False, server_default="100")
        )
        batch_op.add_column(sa.Column("native_pin_policy", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("apps") as batch_op:
        batch_op.drop_column("native_pin_policy")
        batch_op.drop_column("conversation_pin_cap")
    op.drop_table("global_pins")
    op.drop_index("ix_conversation_pins_expiry", table_name="conversation_pins")
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT app_id, user_id, chat_id FROM conversation_pins "
            "ORDER BY app_id, user_id, rank, chat_id"
        )
    ).all()
    with op.batch_alter_table("conversation_pins") as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.alter_column(
            "rank",
            existing_type=POSITION_KEY,
            type_=sa.BigInteger(),
            existing_nullable=False,
            postgresql_using="1",
        )
    update = sa.text(f"UPDATE conversation_pins SET rank = :rank WHERE {_KEY}")
    ordinal: dict[tuple[str, str], int] = {}
    for app_id, user_id, chat_id in rows:
        rank = ordinal[(app_id, user_id)] = ordinal.get((app_id, user_id), 0) + 1
        conn.execute(
            update, {"rank": rank, "app_id": app_id, "user_id": user_id, "chat_id": chat_id}
        )

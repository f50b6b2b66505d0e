"""IMKit and ZIM credentials, conversation pins, request nonces, chat activity time

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_pins",
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("pinned_at", sa.BigInteger(), nullable=False),
        sa.Column("rank", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("app_id", "user_id", "chat_id"),
    )
    op.create_table(
        "nonces",
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("seen_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("app_id", "nonce"),
    )
    op.create_index("ix_nonces_seen_at", "nonces", ["seen_at"])

    with op.batch_alter_table("apps") as batch_op:
        batch_op.add_column(sa.Column("imkit_client_key", sa.String(length=255)))
        batch_op.add_column(sa.Column("imkit_api_key_hash", sa.String(length=128)))
        batch_op.add_column(sa.Column("zim_app_id", sa.BigInteger()))
        batch_op.add_column(sa.Column("zim_server_secret", sa.String(length=64)))
    # Apps made before this revision get fresh IMKit and ZIM credentials. Their IMKit API key
    # is not shown anywhere, so it is unusable until rotated; the ZIM secret is readable.
    bind = op.get_bind()
    apps = sa.table(
        "apps",
        sa.column("id", sa.String),
        sa.column("imkit_client_key", sa.String),
        sa.column("imkit_api_key_hash", sa.String),
        sa.column("zim_app_id", sa.BigInteger),
        sa.column("zim_server_secret", sa.String),
    )
    for (app_id,) in bind.execute(sa.select(apps.c.id)).all():
        bind.execute(
            apps.update()
            .where(apps.c.id == app_id)
            .values(
                imkit_client_key="ck_" + secrets.token_hex(24),
                imkit_api_key_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
                zim_app_id=secrets.randbelow(2**31 - 10**9) + 10**9,
                zim_server_secret=secrets.token_hex(16),
            )
        )
    with op.batch_alter_table("apps") as batch_op:
        for column in ("imkit_client_key", "imkit_api_key_hash", "zim_server_secret"):
            batch_op.alter_column(column, existing_type=sa.String(), nullable=False)
        batch_op.alter_column("zim_app_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_unique_constraint("uq_apps_imkit_client_key", ["imkit_client_key"])
        batch_op.create_unique_constraint("uq_apps_imkit_api_key_hash", ["imkit_api_key_hash"])
        batch_op.create_unique_constraint("uq_apps_zim_app_id", ["zim_app_id"])

    with op.batch_alter_table("chats") as batch_op:
        batch_op.add_column(
            sa.Column("last_activity_at", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.execute("UPDATE chats SET last_activity_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("chats") as batch_op:
        batch_op.drop_column("last_activity_at")
    with op.batch_alter_table("apps") as batch_op:
        batch_op.drop_constraint("uq_apps_zim_app_id", type_="unique")
        batch_op.drop_constraint("uq_apps_imkit_api_key_hash", type_="unique")
        batch_op.drop_constraint("uq_apps_imkit_client_key", type_="unique")
        for column in ("zim_server_secret", "zim_app_id", "imkit_api_key_hash", "imkit_client_key"):
            batch_op.drop_column(column)
    op.drop_index("ix_nonces_seen_at", table_name="nonces")
    op.drop_table("nonces")
    op.drop_table("conversation_pins")

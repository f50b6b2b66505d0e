"""Must-read pins and their acknowledgements, the pin's state in its history, idempotency keys

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pins") as batch_op:
        batch_op.add_column(
            sa.Column("must_read", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("pin_history") as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("must_read", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_pin_history_message", "pin_history", ["app_id", "message_id", "id"])
    op.create_table(
        "pin_acks",
        sa.Column("app_id", sa.String(64), primary_key=True),
        sa.Column("pin_id", sa.BigInteger(), primary_key=True),
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("app_id", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("reply", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("pin_acks")
    op.drop_index("ix_pin_history_message", table_name="pin_history")
    with op.batch_alter_table("pin_history") as batch_op:
        batch_op.drop_column("must_read")
        batch_op.drop_column("note")
    with op.batch_alter_table("pins") as batch_op:
        batch_op.drop_column("must_read")

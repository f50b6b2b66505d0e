"""Each member row carries its chat's last activity, indexed per user

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch_op:
        batch_op.add_column(
            sa.Column("last_activity_at", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE members SET last_activity_at = (SELECT chats.last_activity_at FROM chats"
        " WHERE chats.app_id = members.app_id AND chats.id = members.chat_id)"
    )
    op.create_index(
        "ix_members_activity", "members", ["app_id", "user_id", "last_activity_at", "chat_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_members_activity", table_name="members")
    with op.batch_alter_table("members") as batch_op:
        batch_op.drop_column("last_activity_at")

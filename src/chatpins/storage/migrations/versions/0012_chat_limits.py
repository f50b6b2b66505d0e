"""Chats carry their creating dialect's limits as data

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30

The admin cap, the pin rate per message and the message types that cannot be pinned were
Feishu's, applied by core to every chat. They become columns a dialect fills when it creates a
chat (``limits_*``); chats made through Feishu before get Feishu's (10 managers, 5 pin
operations per second per message, ``system``/``hongbao``/``video_chat``), the others none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chats") as batch_op:
        batch_op.add_column(sa.Column("limits_max_admins", sa.Integer, nullable=True))
        batch_op.add_column(sa.Column("limits_pin_rate_per_message", sa.Integer, nullable=True))
        batch_op.add_column(
            sa.Column("limits_unpinnable_types", sa.JSON, nullable=False, server_default="[]")
        )
    op.execute(
        "UPDATE chats SET limits_max_admins = 10, limits_pin_rate_per_message = 5,"
        """ limits_unpinnable_types = '["system", "hongbao", "video_chat"]'"""
        " WHERE dialect = 'feishu'"
    )


def downgrade() -> None:
    with op.batch_alter_table("chats") as batch_op:
        batch_op.drop_column("limits_unpinnable_types")
        batch_op.drop_column("limits_pin_rate_per_message")
        batch_op.drop_column("limits_max_admins")

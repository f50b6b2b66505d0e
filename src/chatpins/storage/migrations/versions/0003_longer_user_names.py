"""Longer user names (ZIM allows 256 bytes)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column(
            "name", existing_type=sa.String(255), type_=sa.String(512), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column(
            "name", existing_type=sa.String(512), type_=sa.String(255), existing_nullable=False
        )

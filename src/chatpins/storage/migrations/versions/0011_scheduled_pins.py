"""Scheduled pins: a start time, and whether the pin is still waiting for it

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30

Every existing pin has started (``scheduled`` false, ``starts_at`` null).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pins") as batch_op:
        batch_op.add_column(sa.Column("starts_at", sa.BigInteger, nullable=True))
        batch_op.add_column(
            sa.Column("scheduled", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_index("ix_pins_start", "pins", ["starts_at"])


def downgrade() -> None:
    op.drop_index("ix_pins_start", table_name="pins")
    op.execute("DELETE FROM pins WHERE scheduled")  # pins that never started: gone with it
    with op.batch_alter_table("pins") as batch_op:
        batch_op.drop_column("scheduled")
        batch_op.drop_column("starts_at")

"""Apps carry a test's moved clock

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30

A test suite moves one app's time (``PUT /v1/apps/{id}/clock``) to expire tokens and pins
without sleeping. The clock is stored on the app so every request and the sweeper read the
same time, across a restart: ``clock_offset_ms`` ahead of the real time, or frozen at
``clock_frozen_at_ms``. Existing apps keep the real time (0, null).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("apps") as batch_op:
        batch_op.add_column(
            sa.Column("clock_offset_ms", sa.BigInteger, nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("clock_frozen_at_ms", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("apps") as batch_op:
        batch_op.drop_column("clock_frozen_at_ms")
        batch_op.drop_column("clock_offset_ms")

"""Each app's event counter in a table of its own; nonces dropped per app

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

Every change bumped ``apps.event_seq``. On Citus ``apps`` is a reference table, and each write
to it goes to every node under a cluster-wide lock, so every app's changes would queue on one
lock. The counter moves to ``event_counters`` (one row per app, keyed by ``app_id``), which is
distributed and colocated with ``events`` like the other tables (``docs/scaling.md``). Every
app's row is made here with its current ``seq``, so numbering goes on where it stopped.

Nonces past their window are dropped one app at a time: ``ix_nonces_seen_at`` (every app's
nonces by time) gives way to ``ix_nonces_app_seen_at`` (``app_id, seen_at``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_counters",
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("app_id", name="event_counters_pkey"),
    )
    op.execute("INSERT INTO event_counters (app_id, seq) SELECT id, event_seq FROM apps")
    with op.batch_alter_table("apps") as batch_op:
        batch_op.drop_column("event_seq")

    op.drop_index("ix_nonces_seen_at", table_name="nonces")
    op.create_index("ix_nonces_app_seen_at", "nonces", ["app_id", "seen_at"])


def downgrade() -> None:
    op.drop_index("ix_nonces_app_seen_at", table_name="nonces")
    op.create_index("ix_nonces_seen_at", "nonces", ["seen_at"])

    with op.batch_alter_table("apps") as batch_op:
        batch_op.add_column(sa.Column("event_seq", sa.BigInteger(), nullable=True))
    # Every app has its row (made with the app, or by the upgrade); coalesce all the same, so
    # the NOT NULL below cannot fail on one without.
    op.execute(
        "UPDATE apps SET event_seq = coalesce((SELECT c.seq FROM event_counters c"
        " WHERE c.app_id = apps.id), 0)"
    )
    with op.batch_alter_table("apps") as batch_op:
        batch_op.alter_column("event_seq", existing_type=sa.BigInteger(), nullable=False)
    op.drop_table("event_counters")

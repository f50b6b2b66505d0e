"""Every primary and unique key leads with app_id, so the schema distributes by tenant

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01

On Citus a distributed table's primary and unique keys must include its distribution column;
with ``app_id`` leading them, every table but the few ``storage/distribution.py`` names can be
distributed by tenant as it is (``docs/scaling.md``).

- ``pins``, ``pin_history``: ``(app_id, id)`` on PostgreSQL, ``id`` still from its sequence.
  SQLite keeps ``id INTEGER PRIMARY KEY``: only that rowid alias auto-increments there.
- ``webhooks``, ``webhook_deliveries``: ``(app_id, id)``; a delivery is unique per
  ``(app_id, webhook_id, seq, event_type)``. A plain index on ``id`` keeps serving the delivery
  worker's statements, which name a webhook or a delivery by its id alone.
- ``webhook_attempts`` gains ``app_id`` (its delivery's) and the key
  ``(app_id, delivery_id, number)``. Attempts whose delivery is gone belonged to no app any
  more and are dropped.

Ids stay unique across apps (sequences, random ids); only the constraints say less than that.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_COUNTED = ("pins", "pin_history")  # id from a counter: SQLite's rowid
# Each table's primary key before and after.
_KEYS = {
    "webhooks": (["id"], ["app_id", "id"]),
    "webhook_deliveries": (["id"], ["app_id", "id"]),
    "webhook_attempts": (["delivery_id", "number"], ["app_id", "delivery_id", "number"]),
}


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _set_primary_key(table: str, columns: list[str]) -> None:
    # PostgreSQL's name for a table's key; SQLite's key has no name, so the copy of the table
    # that batch mode makes gives it this one, to drop it by.
    name = f"{table}_pkey"
    with op.batch_alter_table(table, naming_convention={"pk": "%(table_name)s_pkey"}) as batch_op:
        batch_op.drop_constraint(name, type_="primary")
        batch_op.create_primary_key(name, columns)


def upgrade() -> None:
    with op.batch_alter_table("webhook_attempts") as batch_op:
        batch_op.add_column(sa.Column("app_id", sa.String(64), nullable=True))
    op.execute(
        "UPDATE webhook_attempts SET app_id = (SELECT d.app_id FROM webhook_deliveries d"
        " WHERE d.id = webhook_attempts.delivery_id)"
    )
    op.execute("DELETE FROM webhook_attempts WHERE app_id IS NULL")
    with op.batch_alter_table("webhook_attempts") as batch_op:
        batch_op.alter_column("app_id", existing_type=sa.String(64), nullable=False)

    if _postgres():
        for table in _COUNTED:
            _set_primary_key(table, ["app_id", "id"])
    for table, (_old, new) in _KEYS.items():
        _set_primary_key(table, new)

    with op.batch_alter_table("webhook_deliveries") as batch_op:
        batch_op.drop_constraint("uq_webhook_deliveries_event", type_="unique")
        batch_op.create_unique_constraint(
            "uq_webhook_deliveries_event", ["app_id", "webhook_id", "seq", "event_type"]
        )
    op.create_index("ix_webhook_deliveries_id", "webhook_deliveries", ["id"])
    op.create_index("ix_webhooks_id", "webhooks", ["id"])


def downgrade() -> None:
    op.drop_index("ix_webhooks_id", table_name="webhooks")
    op.drop_index("ix_webhook_deliveries_id", table_name="webhook_deliveries")
    with op.batch_alter_table("webhook_deliveries") as batch_op:
        batch_op.drop_constraint("uq_webhook_deliveries_event", type_="unique")
        batch_op.create_unique_constraint(
            "uq_webhook_deliveries_event", ["webhook_id", "seq", "event_type"]
        )
    for table, (old, _new) in _KEYS.items():
        _set_primary_key(table, old)
    if _postgres():
        for table in _COUNTED:
            _set_primary_key(table, ["id"])
    with op.batch_alter_table("webhook_attempts") as batch_op:
        batch_op.drop_column("app_id")

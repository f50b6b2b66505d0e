"""The webhook tables' indexes on ``id`` alone dropped: every statement names the app

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

The delivery worker used to name a webhook or a delivery by its id alone, and
``ix_webhooks_id`` and ``ix_webhook_deliveries_id`` (from 0014) served those statements.
Its calls now pass the webhook or the delivery, which carry ``app_id``, so every statement on
``webhooks``, ``webhook_deliveries`` and ``webhook_attempts`` names the app and reads by a key
that leads with it; distributed by ``app_id``, each goes to one shard (``docs/scaling.md``).
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_BY_ID = {"ix_webhooks_id": "webhooks", "ix_webhook_deliveries_id": "webhook_deliveries"}


def upgrade() -> None:
    for index, table in _BY_ID.items():
        op.drop_index(index, table_name=table)


def downgrade() -> None:
    for index, table in _BY_ID.items():
        op.create_index(index, table, ["id"])

"""Apps get a native API key, kept as its hash

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

Apps made before have none (null) until one is issued (``POST /v1/apps/{id}/native-key``):
only the hash of a key is ever stored, so none can be made up for them here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("apps") as batch_op:
        batch_op.add_column(sa.Column("native_api_key_hash", sa.String(128), nullable=True))
        batch_op.create_unique_constraint("uq_apps_native_api_key_hash", ["native_api_key_hash"])


def downgrade() -> None:
    with op.batch_alter_table("apps") as batch_op:
        batch_op.drop_constraint("uq_apps_native_api_key_hash", type_="unique")
        batch_op.drop_column("native_api_key_hash")

"""A pin policy per right, ownership transfer as data, pin positions apart from pin times,
pin expiry indexed for the sweeper

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

- ``chats.pin_permission`` (members | owner_admins) becomes the lowest role allowed each pin
  right (``pin_rights_*``: member | admin), and ``transfer_role`` says who may hand a chat
  over (IMKit rooms: owner; the others: admin, as before).
- ``overflow`` ``replace_oldest`` is now named ``evict_oldest`` (``evict_last`` is new).
- ``pins.rank`` was the pin's version number (time order); it becomes a position key compared
  byte by byte. Existing pins keep their order, the newest at the top.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from fractional_indexing import generate_n_keys_between

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

RIGHTS = ("pin", "unpin_own", "unpin_any", "reorder", "edit")
POSITION_KEY = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("chats") as batch_op:
        for right in RIGHTS:
            batch_op.add_column(
                sa.Column(f"pin_rights_{right}", sa.String(16), nullable=False, server_default="")
            )
        batch_op.add_column(
            sa.Column("transfer_role", sa.String(16), nullable=False, server_default="")
        )
    role = "CASE pin_permission WHEN 'owner_admins' THEN 'admin' ELSE 'member' END"
    op.execute(
        "UPDATE chats SET "
        + ", ".join(f"pin_rights_{right} = {role}" for right in RIGHTS)
        + ", transfer_role = CASE dialect WHEN 'imkit' THEN 'owner' ELSE 'admin' END"
    )
    op.execute("UPDATE chats SET overflow = 'evict_oldest' WHERE overflow = 'replace_oldest'")
    with op.batch_alter_table("chats") as batch_op:
        for right in RIGHTS:
            batch_op.alter_column(f"pin_rights_{right}", server_default=None)
        batch_op.alter_column("transfer_role", server_default=None)
        batch_op.drop_column("pin_permission")

    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, app_id, chat_id FROM pins ORDER BY app_id, chat_id, rank DESC, id DESC")
    ).all()
    with op.batch_alter_table("pins") as batch_op:
        batch_op.alter_column(
            "rank",
            existing_type=sa.BigInteger(),
            type_=POSITION_KEY,
            existing_nullable=False,
            postgresql_using="rank::text",
        )
    by_chat: dict[tuple[str, str], list[int]] = {}
    for pin_id, app_id, chat_id in rows:
        by_chat.setdefault((app_id, chat_id), []).append(pin_id)
    update = sa.text("UPDATE pins SET rank = :rank WHERE id = :id")
    for ids in by_chat.values():
        keys = generate_n_keys_between(None, None, len(ids))
        conn.execute(update, [{"rank": k, "id": i} for k, i in zip(keys, ids, strict=True)])
    op.create_index("ix_pins_chat_rank", "pins", ["app_id", "chat_id", "rank", "id"])
    op.create_index("ix_pins_expiry", "pins", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_pins_expiry", table_name="pins")
    op.drop_index("ix_pins_chat_rank", table_name="pins")
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id FROM pins ORDER BY app_id, chat_id, pinned_at, id")
    ).all()
    with op.batch_alter_table("pins") as batch_op:
        batch_op.alter_column(
            "rank",
            existing_type=POSITION_KEY,
            type_=sa.BigInteger(),
            existing_nullable=False,
            postgresql_using="0",
        )
    update = sa.text("UPDATE pins SET rank = :rank WHERE id = :id")
    if rows:
        conn.execute(update, [{"rank": n, "id": row[0]} for n, row in enumerate(rows, 1)])
    op.execute("UPDATE chats SET overflow = 'replace_oldest' WHERE overflow = 'evict_oldest'")
    with op.batch_alter_table("chats") as batch_op:
        batch_op.add_column(
            sa.Column("pin_permission", sa.String(16), nullable=False, server_default="members")
        )
    op.execute(
        "UPDATE chats SET pin_permission = CASE pin_rights_pin WHEN 'member' THEN 'members'"
        " ELSE 'owner_admins' END"
    )
    with op.batch_alter_table("chats") as batch_op:
        batch_op.alter_column("pin_permission", server_default=None)
        for right in RIGHTS:
            batch_op.drop_column(f"pin_rights_{right}")
        batch_op.drop_column("transfer_role")

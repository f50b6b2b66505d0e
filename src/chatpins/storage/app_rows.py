"""Which rows of the schema belong to an app, worked out from the table metadata: emptying an
app (``AppRepository.empty``) cannot forget a table added later.

Every table has an ``app_id`` column (its rows belong to that app), or is named here: the app
itself, global, or owned through a row of another table. A table that is none of these stops
this module at import, so a new table must be placed before anything runs.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from chatpins.storage.tables import (
    apps,
    metadata,
    server_settings,
    tokens,
    users,
    webhook_attempts,
    webhook_deliveries,
)

# The app itself: its credentials, settings and event ``seq`` counter are kept.
APP_TABLE = apps.name
# The server's own rows, no app's.
GLOBAL_TABLES = frozenset({server_settings.name})
# Tables without ``app_id`` whose rows belong to a row of another table: (column, parent's key).
OWNED_THROUGH: dict[str, tuple[sa.Column[Any], sa.Column[Any]]] = {
    webhook_attempts.name: (webhook_attempts.c.delivery_id, webhook_deliveries.c.id),
}


def _app_tables() -> list[sa.Table]:
    placed = {APP_TABLE, *GLOBAL_TABLES, *OWNED_THROUGH}
    unplaced = [
        t.name for t in metadata.sorted_tables if "app_id" not in t.c and t.name not in placed
    ]
    if unplaced:
        raise RuntimeError(
            f"tables without app_id must be placed in storage/app_rows.py: {', '.join(unplaced)}"
        )
    return [t for t in metadata.sorted_tables if "app_id" in t.c]


# Tables whose rows carry their app's id, in a fixed order.
APP_ID_TABLES = _app_tables()


def kept(bot_user_id: str) -> dict[str, sa.ColumnElement[bool]]:
    """The rows of an app's tables that emptying the app keeps, per table.

    The app's bot stays a user (Feishu calls act as it, IMKit's platform key too), and so do
    its tokens: the tenant and app access tokens it holds stand for the app's credentials, and
    lark-oapi keeps using a cached tenant token for up to two hours without ever fetching a
    new one on an "invalid token" reply (feishu.md §2)."""
    # NULL-safe: a token without a user is not the bot's (``NOT (NULL = x)`` deletes nothing).
    return {
        users.name: users.c.id.is_not_distinct_from(bot_user_id),
        tokens.name: tokens.c.user_id.is_not_distinct_from(bot_user_id),
    }


def deletes(app_id: str, bot_user_id: str) -> list[tuple[str, sa.Delete]]:
    """The statements that empty an app, each with the table it empties; rows owned through
    another table first, while their parents still name the app."""
    keep = kept(bot_user_id)
    statements: list[tuple[str, sa.Delete]] = []
    for name, (column, parent_key) in OWNED_THROUGH.items():
        parents = sa.select(parent_key).where(parent_key.table.c.app_id == app_id)
        statements.append((name, column.table.delete().where(column.in_(parents))))
    for table in APP_ID_TABLES:
        query = table.delete().where(table.c.app_id == app_id)
        if table.name in keep:
            query = query.where(sa.not_(keep[table.name]))
        statements.append((table.name, query))
    return statements

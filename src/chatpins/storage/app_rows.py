"""Which rows of the schema belong to an app, worked out from the table metadata: emptying an
app (``AppRepository.empty``) cannot forget a table added later.

Every table has an ``app_id`` column (its rows belong to that app), or is named here: the app
itself, or global. A table that is neither stops this module at import, so a new table must be
placed before anything runs.
"""

from __future__ import annotations

import sqlalchemy as sa

from chatpins.storage.tables import apps, event_counters, metadata, server_settings, tokens, users

# The app itself: its credentials and settings are kept.
APP_TABLE = apps.name
# Tables with ``app_id`` whose rows of the app are kept whole, like the app: its event ``seq``
# counter, so seq keeps growing across a reset and a client resuming a stream never sees a seq
# used twice.
KEPT_TABLES = frozenset({event_counters.name})
# The server's own rows, no app's.
GLOBAL_TABLES = frozenset({server_settings.name})


def _app_tables() -> list[sa.Table]:
    placed = {APP_TABLE, *GLOBAL_TABLES}
    unplaced = [
        t.name for t in metadata.sorted_tables if "app_id" not in t.c and t.name not in placed
    ]
    if unplaced:
        raise RuntimeError(
            f"tables without app_id must be placed in storage/app_rows.py: {', '.join(unplaced)}"
        )
    return [t for t in metadata.sorted_tables if "app_id" in t.c and t.name not in KEPT_TABLES]


# Tables whose rows of the app are emptied, in a fixed order.
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
    """The statements that empty an app, each with the table it empties."""
    keep = kept(bot_user_id)
    statements: list[tuple[str, sa.Delete]] = []
    for table in APP_ID_TABLES:
        query = table.delete().where(table.c.app_id == app_id)
        if table.name in keep:
            query = query.where(sa.not_(keep[table.name]))
        statements.append((table.name, query))
    return statements

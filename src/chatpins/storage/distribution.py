"""How the schema spreads over a distributed PostgreSQL (Citus): by tenant, ``app_id``.

Every table is distributed by ``app_id`` and colocated with every other one: an app's rows of
all tables sit on one node, so each request's statements go to one shard and its joins stay
there. Its primary key and unique keys lead with ``app_id`` (Citus needs them to include the
distribution column), and so would any foreign key. The tables named here are the only ones
laid out otherwise; ``tests/integration/test_distribution_keys.py`` reads the migrated schema
from PostgreSQL's catalog and holds every table to this, and ``docs/scaling.md`` lists the
statements ``citus_layout`` makes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import MappingProxyType

# The column every table but the ones below is distributed by.
TENANT_COLUMN = "app_id"

# The distributed table the others are colocated with (any of them would do: one group).
COLOCATION_ANCHOR = "chats"

# Small tables copied to every node: read by every request, written seldom.
REFERENCE_TABLES = frozenset(
    {
        # The tenants themselves: a request finds its app by a credential (Feishu app id, IMKit
        # client or API key, ZIM AppId, native API key hash) before it knows the app's id, and
        # those credentials are unique across apps. One row per app.
        "apps",
        # The server's own settings, no app's.
        "server_settings",
        # Alembic's schema revision, read by every instance at start.
        "alembic_version",
    }
)

# Tables distributed by a column of their own, not colocated with the apps' tables.
EXCEPTIONS: Mapping[str, str] = MappingProxyType(
    {
        # A request carries only its token (Feishu ``t-``/``u-``, IMKit and native opaque
        # values), so authentication finds it by its hash before the app is known; and a hash
        # is unique across apps (binding a token bound in another app is a conflict), which a
        # key can only promise on the column the table is distributed by. Each lookup by hash
        # still goes to one shard; what lists an app's tokens (the newest app token, revoking a
        # user's tokens) asks every shard, on token issue and revocation only.
        "tokens": "token_hash",
    }
)


def distribution_column(table: str) -> str | None:
    """The column ``table`` is distributed by; None for a reference table."""
    if table in REFERENCE_TABLES:
        return None
    return EXCEPTIONS.get(table, TENANT_COLUMN)


def citus_layout(tables: Collection[str]) -> list[str]:
    """The statements that distribute ``tables`` (the schema's, plus ``alembic_version``), in
    the order to run them: reference tables, the anchor, the tables colocated with it, then
    the exceptions."""
    by_tenant = sorted(
        t for t in tables if distribution_column(t) == TENANT_COLUMN and t != COLOCATION_ANCHOR
    )
    return [
        *(f"SELECT create_reference_table('{t}');" for t in sorted(REFERENCE_TABLES)),
        f"SELECT create_distributed_table('{COLOCATION_ANCHOR}', '{TENANT_COLUMN}');",
        *(
            f"SELECT create_distributed_table('{t}', '{TENANT_COLUMN}',"
            f" colocate_with => '{COLOCATION_ANCHOR}');"
            for t in by_tenant
        ),
        *(
            f"SELECT create_distributed_table('{t}', '{column}', colocate_with => 'none');"
            for t, column in sorted(EXCEPTIONS.items())
        ),
    ]

"""The migrated schema can be distributed by tenant on Citus as it is.

Read from PostgreSQL's catalog (``pg_index``, ``pg_constraint``, ``pg_attribute``): every table
is a reference table, an exception distributed by its own column, or distributed by ``app_id``
(``storage/distribution.py``); a distributed table's primary keys, unique constraints and
unique indexes lead with its distribution column, and its foreign keys include ``app_id``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa

from chatpins.storage.database import Database
from chatpins.storage.distribution import (
    EXCEPTIONS,
    REFERENCE_TABLES,
    TENANT_COLUMN,
    citus_layout,
    distribution_column,
)
from chatpins.storage.tables import metadata

SCALING_DOC = Path(__file__).parents[2] / "docs" / "scaling.md"


@dataclass(frozen=True)
class Key:
    """A primary key, unique constraint, unique index or exclusion constraint."""

    table: str
    name: str
    kind: str
    columns: tuple[str, ...]  # its key columns in order; "(expression)" for an expression


@dataclass(frozen=True)
class ForeignKey:
    table: str
    name: str
    columns: tuple[str, ...]
    referenced: str
    referenced_columns: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    columns: dict[str, dict[str, tuple[str, bool]]]  # table -> column -> (type, not null)
    keys: list[Key]
    foreign_keys: list[ForeignKey]


_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
"""
# Unique indexes back every primary key and unique constraint, and stand alone as well.
_KEYS = """
SELECT t.relname, i.relname,
  CASE WHEN x.indisprimary THEN 'primary key'
       WHEN con.contype = 'u' THEN 'unique constraint'
       WHEN x.indisexclusion THEN 'exclusion constraint'
       ELSE 'unique index' END,
  ARRAY(SELECT coalesce(a.attname, '(expression)')
        FROM unnest((x.indkey::int2[])[0:x.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, n)
        LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
        ORDER BY k.n)
FROM pg_index x
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_class i ON i.oid = x.indexrelid
LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.conrelid = x.indrelid
WHERE t.relnamespace = current_schema()::regnamespace AND (x.indisunique OR x.indisexclusion)
"""
_FOREIGN_KEYS = """
SELECT t.relname, con.conname, r.relname,
  ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, n)
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.n),
  ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, n)
        JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.n)
FROM pg_constraint con
JOIN pg_class t ON t.oid = con.conrelid
JOIN pg_class r ON r.oid = con.confrelid
WHERE con.contype = 'f' AND t.relnamespace = current_schema()::regnamespace
"""


async def read_catalog(conn: asyncpg.Connection) -> Catalog:
    columns: dict[str, dict[str, tuple[str, bool]]] = {}
    for table, column, type_, not_null in await conn.fetch(_COLUMNS):
        columns.setdefault(table, {})[column] = (type_, not_null)
    keys = [Key(r[0], r[1], r[2], tuple(r[3])) for r in await conn.fetch(_KEYS)]
    foreign_keys = [
        ForeignKey(r[0], r[1], tuple(r[3]), r[2], tuple(r[4]))
        for r in await conn.fetch(_FOREIGN_KEYS)
    ]
    return Catalog(columns, keys, foreign_keys)


def violations(catalog: Catalog) -> list[str]:
    """Whatever keeps the schema from being distributed as ``storage/distribution.py`` says,
    one line each, naming the table and the constraint."""
    problems = [
        f"{table}: listed in storage/distribution.py, but the schema has no such table"
        for table in sorted((REFERENCE_TABLES | EXCEPTIONS.keys()) - catalog.columns.keys())
    ]
    tenant_types: dict[str, set[str]] = {}
    for table, columns in sorted(catalog.columns.items()):
        column = distribution_column(table)
        if column is None:
            continue
        if column not in columns:
            problems.append(f"{table}: no {column} column to be distributed by")
            continue
        type_, not_null = columns[column]
        if not not_null:
            problems.append(f"{table}: {column} may be null (a row must name its shard)")
        if column == TENANT_COLUMN:
            tenant_types.setdefault(type_, set()).add(table)
    if len(tenant_types) > 1:  # colocated tables are distributed by one type
        problems.append(f"{TENANT_COLUMN} differs in type: {sorted(tenant_types.items())}")
    for key in sorted(catalog.keys, key=lambda k: (k.table, k.name)):
        column = distribution_column(key.table)
        if column is not None and key.columns[:1] != (column,):
            problems.append(
                f"{key.table}: {key.kind} {key.name} ({', '.join(key.columns)})"
                f" does not lead with {column}"
            )
    for fk in sorted(catalog.foreign_keys, key=lambda k: (k.table, k.name)):
        named = f"{fk.table}: foreign key {fk.name} ({', '.join(fk.columns)}) -> {fk.referenced}"
        ours, theirs = distribution_column(fk.table), distribution_column(fk.referenced)
        if fk.table in REFERENCE_TABLES:
            if fk.referenced not in REFERENCE_TABLES:
                problems.append(f"{named}: a reference table refers to reference tables only")
        elif TENANT_COLUMN not in fk.columns:
            problems.append(f"{named} does not include {TENANT_COLUMN}")
        elif fk.referenced not in REFERENCE_TABLES and (
            ours != theirs
            or fk.referenced_columns[fk.columns.index(TENANT_COLUMN)] != TENANT_COLUMN
        ):
            problems.append(f"{named} does not stay within one app's shard")
    return problems


@pytest.fixture
async def catalog_conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    if not database_url.startswith("postgresql"):
        pytest.skip("reads PostgreSQL's catalog")
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        yield conn
    finally:
        await conn.close()


async def test_every_table_can_be_distributed_by_tenant(catalog_conn: asyncpg.Connection) -> None:
    assert violations(await read_catalog(catalog_conn)) == []


async def test_the_schema_is_the_tables_module_plus_reference_tables(
    catalog_conn: asyncpg.Connection,
) -> None:
    """Every table of ``tables.py`` is in the catalog the check reads, and the catalog holds
    nothing else but a listed reference table (``alembic_version``)."""
    tables = set((await read_catalog(catalog_conn)).columns)
    assert set(metadata.tables) <= tables
    assert tables - set(metadata.tables) <= REFERENCE_TABLES


async def test_the_check_names_each_key_that_breaks_the_layout(
    catalog_conn: asyncpg.Connection,
) -> None:
    """Throwaway tables, in a transaction rolled back afterwards: keyed by ``id``, unique on a
    column without the app, and a child whose foreign key leaves the app out."""
    transaction = catalog_conn.transaction()
    await transaction.start()
    try:
        await catalog_conn.execute(
            "CREATE TABLE stray_things (id text PRIMARY KEY, app_id varchar(64) NOT NULL,"
            " code text CONSTRAINT uq_stray_code UNIQUE)"
        )
        await catalog_conn.execute(
            "CREATE UNIQUE INDEX ix_stray_lower ON stray_things (lower(code))"
        )
        await catalog_conn.execute(
            "CREATE TABLE stray_children (app_id varchar(64) NOT NULL,"
            " thing_id text CONSTRAINT fk_stray_thing REFERENCES stray_things (id),"
            " PRIMARY KEY (app_id, thing_id))"
        )
        catalog = await read_catalog(catalog_conn)
    finally:
        await transaction.rollback()

    assert violations(catalog) == [
        "stray_things: unique index ix_stray_lower ((expression)) does not lead with app_id",
        "stray_things: primary key stray_things_pkey (id) does not lead with app_id",
        "stray_things: unique constraint uq_stray_code (code) does not lead with app_id",
        "stray_children: foreign key fk_stray_thing (thing_id) -> stray_things"
        " does not include app_id",
    ]


async def test_the_check_names_a_listed_table_the_schema_lacks(
    catalog_conn: asyncpg.Connection,
) -> None:
    catalog = await read_catalog(catalog_conn)
    columns = {t: c for t, c in catalog.columns.items() if t != "server_settings"}
    assert violations(dataclasses.replace(catalog, columns=columns)) == [
        "server_settings: listed in storage/distribution.py, but the schema has no such table"
    ]


def _primary_keys(database_url: str) -> dict[str, list[str]]:
    async def read() -> dict[str, list[str]]:
        db = Database(database_url)
        try:
            async with db.engine.connect() as conn:
                return await conn.run_sync(
                    lambda c: {
                        t: sa.inspect(c).get_pk_constraint(t)["constrained_columns"]
                        for t in metadata.tables
                    }
                )
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_primary_keys_match_the_tables_module(database_url: str) -> None:
    """Alembic's comparison (``test_migrations``) leaves primary keys out. SQLite keeps
    ``id INTEGER PRIMARY KEY`` where the id comes from a counter: its rowid, the only column
    it auto-increments."""
    sqlite = database_url.startswith("sqlite")
    expected = {}
    for table in metadata.sorted_tables:
        counted = [c.name for c in table.primary_key.columns if c.autoincrement is True]
        expected[table.name] = (
            counted if sqlite and counted else list(table.primary_key.columns.keys())
        )
    assert _primary_keys(database_url) == expected
    if sqlite:
        assert expected["pins"] == expected["pin_history"] == ["id"]


def test_the_scaling_doc_gives_the_layout_of_every_table() -> None:
    layout = citus_layout([*metadata.tables, "alembic_version"])
    assert all(any(f"('{t}'" in s for s in layout) for t in metadata.tables)
    assert "\n".join(layout) in SCALING_DOC.read_text(encoding="utf-8")

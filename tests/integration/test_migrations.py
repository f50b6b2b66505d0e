from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from chatpins.storage import migrate
from chatpins.storage.database import Database
from chatpins.storage.tables import metadata


def test_upgrade_reaches_head_and_is_idempotent(database_url: str) -> None:
    migrate.upgrade(database_url)  # a second run changes nothing
    assert migrate.is_up_to_date(database_url)


def test_migrations_match_the_tables_module(database_url: str) -> None:
    async def diff() -> list:
        db = Database(database_url)
        try:
            async with db.engine.connect() as conn:
                return await conn.run_sync(
                    lambda c: compare_metadata(MigrationContext.configure(c), metadata)
                )
        finally:
            await db.dispose()

    assert asyncio.run(diff()) == []

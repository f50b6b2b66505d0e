"""Alembic environment: runs migrations over the async engine for the configured URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from chatpins.storage.database import Database
from chatpins.storage.tables import metadata

config = context.config


def _run(connection: Connection, sqlite: bool) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None, "migrate.py sets sqlalchemy.url"
    db = Database(url)
    async with db.engine.connect() as connection:
        await connection.run_sync(_run, db.is_sqlite)
        await connection.commit()
    await db.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())

"""Schema migrations through Alembic, driven from code (no alembic.ini needed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from chatpins.storage.database import Database

_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Apply every pending migration. Must not run inside an event loop (Alembic starts one)."""
    command.upgrade(alembic_config(url), "head")


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


async def revision_of(engine: AsyncEngine) -> str | None:
    """The schema revision of the database ``engine`` reaches (None: never migrated)."""
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision()
        )


async def current_revision(url: str) -> str | None:
    db = Database(url)
    try:
        return await revision_of(db.engine)
    finally:
        await db.dispose()


def is_up_to_date(url: str) -> bool:
    return asyncio.run(current_revision(url)) == head_revision()

from __future__ import annotations

import asyncio
from pathlib import Path

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


def test_upgrade_from_0001_gives_old_apps_imkit_and_zim_credentials(tmp_path: Path) -> None:
    import sqlite3

    from alembic import command

    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    command.upgrade(migrate.alembic_config(url), "0001")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO apps VALUES ('app_old', 'old', 1, 'cli_0000000000000000', 'h', 1, 1,"
            " '[]', 50, 1000, 5, 0)"
        )
        conn.execute(
            "INSERT INTO chats (app_id, id, kind, name, description, creator_id, created_at,"
            " pin_permission, edit_permission, add_member_permission, overflow, pin_version,"
            " dialect, attributes) VALUES ('app_old', 'oc_1', 'group', '', '', 'u', 42,"
            " 'members', 'members', 'members', 'reject', 0, 'feishu', '{}')"
        )
    migrate.upgrade(url)
    with sqlite3.connect(path) as conn:
        key, zim_id, secret = conn.execute(
            "SELECT imkit_client_key, zim_app_id, zim_server_secret FROM apps"
        ).fetchone()
        activity = conn.execute("SELECT last_activity_at FROM chats").fetchone()[0]
    assert key.startswith("ck_") and 10**9 <= zim_id < 2**32 and len(secret) == 32
    assert activity == 42

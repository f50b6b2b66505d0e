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


def test_upgrade_to_0007_turns_pin_permission_into_rights_and_keeps_pin_order(
    tmp_path: Path,
) -> None:
    """Old pins ranked by their version number (time) come out in position order with the
    newest at the top; each chat's pin permission becomes the same role for every right."""
    import sqlite3

    from alembic import command

    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    command.upgrade(migrate.alembic_config(url), "0006")
    columns = (
        "app_id, id, kind, name, description, creator_id, created_at, pin_permission,"
        " edit_permission, add_member_permission, max_pins, overflow, pin_version, dialect,"
        " attributes"
    )
    with sqlite3.connect(path) as conn:
        conn.execute(
            f"INSERT INTO chats ({columns}) VALUES ('a', 'room', 'group', '', '', 'u', 1,"
            " 'owner_admins', 'members', 'members', 1, 'replace_oldest', 3, 'imkit', '{}')"
        )
        conn.execute(
            f"INSERT INTO chats ({columns}) VALUES ('a', 'oc_1', 'group', '', '', 'u', 1,"
            " 'members', 'members', 'members', NULL, 'reject', 3, 'feishu', '{}')"
        )
        for rank, message_id in ((1, "old"), (3, "new"), (2, "mid")):
            conn.execute(
                "INSERT INTO pins (app_id, chat_id, message_id, pinned_by, pinned_at, rank,"
                " dialect, note) VALUES ('a', 'oc_1', ?, 'u', ?, ?, 'feishu', '')",
                (message_id, rank, rank),
            )
    migrate.upgrade(url)
    with sqlite3.connect(path) as conn:
        chats = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT id, pin_rights_pin, pin_rights_unpin_any, pin_rights_edit,"
                " transfer_role, overflow FROM chats"
            )
        }
        order = [r[0] for r in conn.execute("SELECT message_id FROM pins ORDER BY rank")]
    assert chats["room"] == ("admin", "admin", "admin", "owner", "evict_oldest")
    assert chats["oc_1"] == ("member", "member", "member", "admin", "reject")
    assert order == ["new", "mid", "old"]


def test_upgrade_to_0010_gives_conversation_pins_position_keys_in_their_old_order(
    tmp_path: Path,
) -> None:
    """Counter ranks 2, 9 and 10 (10 sorts before 9 as text) come out as keys in 2, 9, 10
    order, per user; old apps get ZIM's cap of 100."""
    import sqlite3

    from alembic import command

    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    command.upgrade(migrate.alembic_config(url), "0009")
    with sqlite3.connect(path) as conn:
        for user, chat, rank in (("u", "c10", 10), ("u", "c2", 2), ("u", "c9", 9), ("v", "c9", 1)):
            conn.execute(
                "INSERT INTO conversation_pins VALUES ('a', ?, ?, 5, ?)", (user, chat, rank)
            )
        conn.execute(
            "INSERT INTO apps (id, name, created_at, feishu_app_id, feishu_secret_hash,"
            " bot_enabled, pin_scope_granted, unavailable_user_ids, api_rate_per_second,"
            " api_rate_per_minute, message_rate_per_second, event_seq, imkit_client_key,"
            " imkit_api_key_hash, zim_app_id, zim_server_secret, zim_rate_limits)"
            " VALUES ('a', 'old', 1, 'cli_1', 'h', 1, 1, '[]', 50, 1000, 5, 0, 'ck', 'h', 7,"
            " 's', 1)"
        )
    migrate.upgrade(url)
    with sqlite3.connect(path) as conn:
        order = [
            r[0]
            for r in conn.execute(
                "SELECT chat_id FROM conversation_pins WHERE user_id = 'u' ORDER BY rank"
            )
        ]
        cap = conn.execute("SELECT conversation_pin_cap FROM apps").fetchone()[0]
    assert order == ["c2", "c9", "c10"]
    assert cap == 100


def test_0015_moves_event_seqs_to_event_counters_and_back(tmp_path: Path) -> None:
    """Numbering goes on where it stopped: an app's ``event_seq`` becomes its counter row, and
    a downgrade puts the counter's value back on the app."""
    import sqlite3

    from alembic import command

    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    config = migrate.alembic_config(url)
    command.upgrade(config, "0009")
    with sqlite3.connect(path) as conn:
        for app_id, seq in (("a", 41), ("b", 0)):
            conn.execute(
                "INSERT INTO apps (id, name, created_at, feishu_app_id, feishu_secret_hash,"
                " bot_enabled, pin_scope_granted, unavailable_user_ids, api_rate_per_second,"
                " api_rate_per_minute, message_rate_per_second, event_seq, imkit_client_key,"
                " imkit_api_key_hash, zim_app_id, zim_server_secret, zim_rate_limits)"
                " VALUES (?, 'old', 1, ?, ?, 1, 1, '[]', 50, 1000, 5, ?, ?, ?, ?, 's', 1)",
                (
                    app_id,
                    f"cli_{app_id}",
                    f"h{app_id}",
                    seq,
                    f"ck_{app_id}",
                    f"h{app_id}",
                    ord(app_id),
                ),  # fmt: skip
            )
    migrate.upgrade(url)
    with sqlite3.connect(path) as conn:
        counters = dict(conn.execute("SELECT app_id, seq FROM event_counters"))
        conn.execute("UPDATE event_counters SET seq = 57 WHERE app_id = 'a'")
    assert counters == {"a": 41, "b": 0}
    command.downgrade(config, "0014")
    with sqlite3.connect(path) as conn:
        seqs = dict(conn.execute("SELECT id, event_seq FROM apps"))
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert seqs == {"a": 57, "b": 0}
    assert "event_counters" not in tables

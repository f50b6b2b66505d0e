"""Bulk data for benchmarks, written straight into the database (setup is not measured).

Everything the measured requests touch goes through the real API; only the bulk that would
take minutes to create one request at a time (tens of thousands of messages or chats) is
inserted here, in the shape the server itself writes.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time

from chatpins.storage.database import Database
from chatpins.storage.tables import chats, members, messages


def _now() -> int:
    return time.time_ns() // 1_000_000


def insert_messages(url: str, app_id: str, chat_id: str, sender_id: str, count: int) -> list[str]:
    return insert_spread_messages(url, app_id, [chat_id], sender_id, count)


def insert_spread_messages(
    url: str, app_id: str, chat_ids: list[str], sender_id: str, count: int
) -> list[str]:
    """``count`` messages, the i-th in a chat drawn at random from ``chat_ids`` (so requests
    sent side by side seldom meet in one chat)."""
    ids = ["om_" + secrets.token_hex(16) for _ in range(count)]
    rng = random.Random(count)
    now = _now()
    rows = [
        {
            "app_id": app_id,
            "id": message_id,
            "chat_id": chat_ids[0] if len(chat_ids) == 1 else rng.choice(chat_ids),
            "sender_id": sender_id,
            "type": "text",
            "content": json.dumps({"text": f"bench {i}"}),
            "created_at": now,
            "updated_at": now,
        }
        for i, message_id in enumerate(ids)
    ]
    asyncio.run(_insert(url, [(messages, rows)]))
    return ids


def insert_p2p_chats(url: str, app_id: str, user_id: str, peer_ids: list[str]) -> list[str]:
    """One p2p chat between ``user_id`` and each peer, activity times spread out."""
    now = _now()
    chat_rows: list[dict[str, object]] = []
    member_rows: list[dict[str, object]] = []
    ids: list[str] = []
    for i, peer in enumerate(peer_ids):
        chat_id = "oc_" + secrets.token_hex(16)
        ids.append(chat_id)
        chat_rows.append(
            {
                "app_id": app_id, "id": chat_id, "kind": "p2p", "name": "", "description": "",
                "owner_id": None, "creator_id": user_id, "created_at": now - i,
                "pin_rights_pin": "member", "pin_rights_unpin_own": "member",
                "pin_rights_unpin_any": "member", "pin_rights_reorder": "member",
                "pin_rights_edit": "member", "transfer_role": "admin", "edit_permission": "members",
                "add_member_permission": "members", "overflow": "reject", "pin_version": 0,
                "dialect": "zim", "attributes": {}, "last_activity_at": now - i,
            }
        )  # fmt: skip
        for member in (user_id, peer):
            member_rows.append(
                {"app_id": app_id, "chat_id": chat_id, "user_id": member, "role": "member",
                 "joined_at": now, "last_activity_at": now - i}
            )  # fmt: skip
    asyncio.run(_insert(url, [(chats, chat_rows), (members, member_rows)]))
    return ids


async def _insert(url: str, batches: list) -> None:  # type: ignore[type-arg]
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            for table, rows in batches:
                for start in range(0, len(rows), 5000):
                    await conn.execute(table.insert(), rows[start : start + 5000])
    finally:
        await db.dispose()


def insert_users(url: str, app_id: str, user_ids: list[str]) -> None:
    from chatpins.core.identity import feishu_open_id, feishu_union_id
    from chatpins.storage.tables import users

    now = _now()
    rows = [
        {"app_id": app_id, "id": u, "name": u, "avatar": "", "is_bot": False,
         "registered_at": now, "open_id": feishu_open_id(app_id, u),
         "union_id": feishu_union_id(app_id, u)}
        for u in user_ids
    ]  # fmt: skip
    asyncio.run(_insert(url, [(users, rows)]))

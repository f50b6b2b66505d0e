from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from chatpins.core.entities import Chat, ConversationPin
from chatpins.storage.repositories._base import Connection, Repository, key, to_row
from chatpins.storage.tables import chats, conversation_pins, members, users


class _Light(NamedTuple):
    """What ordering a conversation list needs, for each of the newest conversations."""

    id: str
    last_activity_at: int
    rank: int | None
    pinned_at: int | None


_PIN = conversation_pins.alias("pin")
_CONVERSATIONS = members.join(
    chats, sa.and_(chats.c.app_id == members.c.app_id, chats.c.id == members.c.chat_id)
).outerjoin(
    _PIN,
    sa.and_(
        _PIN.c.app_id == members.c.app_id,
        _PIN.c.chat_id == members.c.chat_id,
        _PIN.c.user_id == members.c.user_id,
    ),
)
_MINE = sa.and_(
    members.c.app_id == key("app"),
    members.c.user_id == key("user"),
    chats.c.dissolved_at.is_(None),
)
# The newest conversations, straight off the members' activity index (no sort over them all).
_NEWEST = (
    sa.select(
        members.c.chat_id.label("id"),
        members.c.last_activity_at,
        _PIN.c.rank,
        _PIN.c.pinned_at,
    )
    .select_from(_CONVERSATIONS)
    .where(_MINE)
    .order_by(members.c.last_activity_at.desc(), members.c.chat_id.desc())
    .limit(key("newest"))
)
_CHATS = chats.select().where(
    chats.c.app_id == key("app"), chats.c.id.in_(sa.bindparam("p_ids", expanding=True))
)
_OWNER = sa.select(users.c.id).where(users.c.app_id == key("app"), users.c.id == key("user"))
_OWNER_FOR_UPDATE = _OWNER.with_for_update()
_PEERS = sa.select(members.c.chat_id, members.c.user_id).where(
    members.c.app_id == key("app"),
    members.c.chat_id.in_(sa.bindparam("p_ids", expanding=True)),
    members.c.user_id != key("user"),
)


class ConversationPinRepository(Repository):
    """Each user's pinned conversations: an ordered list (by ``rank``) of chats."""

    def __init__(self, conn: Connection, *, row_locks: bool) -> None:
        super().__init__(conn)
        self._owner_query = _OWNER_FOR_UPDATE if row_locks else _OWNER

    async def list_for_user(self, app_id: str, user_id: str) -> list[ConversationPin]:
        query = (
            conversation_pins.select()
            .where(conversation_pins.c.app_id == app_id, conversation_pins.c.user_id == user_id)
            .order_by(conversation_pins.c.rank, conversation_pins.c.chat_id)
        )
        return await self._all(ConversationPin, query)

    async def add(self, pin: ConversationPin) -> None:
        await self._conn.execute(
            conversation_pins.insert().values(**to_row(pin, conversation_pins))
        )

    async def remove(self, app_id: str, user_id: str, chat_id: str) -> None:
        await self._conn.execute(
            conversation_pins.delete().where(
                conversation_pins.c.app_id == app_id,
                conversation_pins.c.user_id == user_id,
                conversation_pins.c.chat_id == chat_id,
            )
        )

    async def lock_owner(self, app_id: str, user_id: str) -> bool:
        """Lock the user's row until commit, so one user's pin batches run one at a time.

        This is what keeps the per-user cap under concurrent batches on PostgreSQL; on SQLite
        writers are already serialised (BEGIN IMMEDIATE). False when the user does not exist.
        """
        params = {"p_app": app_id, "p_user": user_id}
        return (await self._conn.execute(self._owner_query, params)).first() is not None

    async def p2p_peers(self, app_id: str, user_id: str, chat_ids: list[str]) -> dict[str, str]:
        """For each of the user's one-on-one chats given, the other member's id."""
        if not chat_ids:
            return {}
        params = {"p_app": app_id, "p_user": user_id, "p_ids": chat_ids}
        return {row.chat_id: row.user_id for row in await self._conn.execute(_PEERS, params)}

    async def conversations(
        self,
        app_id: str,
        user_id: str,
        *,
        offset: int,
        limit: int,
        pinned_first: bool,
        newest: int,
    ) -> tuple[list[tuple[Chat, ConversationPin | None]], int]:
        """The user's ``newest`` most recently active chats (dissolved ones left out), with
        the user's pin if any; returns (page, total).

        Default order: last activity ascending (ZIM's order). ``pinned_first``: pinned ones
        first, then the rest; inside each part last activity newest first (the ZIM SDK's
        display order), pin order breaking ties.

        Two cheap steps: one index scan keeps the ``newest`` ids with just what ordering needs,
        sorted and paged here; full rows are read for the page only. (Sorting and counting the
        capped set in SQL took two full scans per request.)
        """
        light = await self._conn.execute(
            _NEWEST, {"p_app": app_id, "p_user": user_id, "p_newest": newest}
        )
        # Sorting a thousand Row objects by attribute name cost more than the query itself;
        # named tuples read their fields at C speed.
        rows = [_Light._make(row) for row in light]
        if pinned_first:
            # Pinned first, then the rest; newest activity first in each; pin order, id.
            rows.sort(key=lambda r: (r.rank is None, -r.last_activity_at, r.rank or 0, r.id))
        else:
            rows.sort(key=lambda r: (r.last_activity_at, r.id))
        page_rows = rows[offset : offset + limit]
        params = {"p_app": app_id, "p_ids": [r.id for r in page_rows]}
        by_id = {chat.id: chat for chat in await self._all(Chat, _CHATS, params)}
        page = []
        for r in page_rows:
            conv_pin = None
            if r.rank is not None and r.pinned_at is not None:
                conv_pin = ConversationPin(app_id, user_id, r.id, r.pinned_at, r.rank)
            page.append((by_id[r.id], conv_pin))
        return page, len(rows)

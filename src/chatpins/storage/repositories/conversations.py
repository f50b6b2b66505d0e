from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from chatpins.core.entities import Chat, ChatKind, ConversationPin, ListedConversation
from chatpins.core.ports import EVERY_APP, SweepScope
from chatpins.storage.repositories._base import (
    Connection,
    Repository,
    built_once,
    in_scope,
    key,
    to_row,
)
from chatpins.storage.tables import chats, conversation_pins, global_pins, members, users


class _Light(NamedTuple):
    """What ordering a conversation list needs, for each of the newest conversations."""

    id: str
    last_activity_at: int
    rank: str | None
    pinned_at: int | None
    expires_at: int | None


_PIN = conversation_pins.alias("pin")
_CONVERSATIONS = members.join(
    chats, sa.and_(chats.c.app_id == members.c.app_id, chats.c.id == members.c.chat_id)
).outerjoin(
    _PIN,
    sa.and_(
        _PIN.c.app_id == members.c.app_id,
        _PIN.c.chat_id == members.c.chat_id,
        _PIN.c.user_id == members.c.user_id,
        # A pin whose time is up counts for nothing, swept or not.
        sa.or_(_PIN.c.expires_at.is_(None), _PIN.c.expires_at > key("now")),
    ),
)
_MINE = sa.and_(
    members.c.app_id == key("app"),
    members.c.user_id == key("user"),
    chats.c.dissolved_at.is_(None),
)
# The newest conversations, straight off the members' activity index (no sort over them all).
_NEWEST = built_once(
    sa.select(
        members.c.chat_id.label("id"),
        members.c.last_activity_at,
        _PIN.c.rank,
        _PIN.c.pinned_at,
        _PIN.c.expires_at,
    )
    .select_from(_CONVERSATIONS)
    .where(_MINE)
    .order_by(members.c.last_activity_at.desc(), members.c.chat_id.desc())
    .limit(key("newest"))
)
# Every conversation of the user, with its own pin and the app's global pin if any.
_GLOBAL = global_pins.alias("global_pin")
_LISTED = (
    sa.select(
        members.c.chat_id,
        chats.c.kind,
        chats.c.name,
        members.c.last_activity_at,
        _PIN.c.rank.label("user_rank"),
        _PIN.c.pinned_at.label("user_pinned_at"),
        _PIN.c.expires_at.label("user_expires_at"),
        _GLOBAL.c.rank.label("global_rank"),
        _GLOBAL.c.pinned_at.label("global_pinned_at"),
    )
    .select_from(
        _CONVERSATIONS.outerjoin(
            _GLOBAL,
            sa.and_(_GLOBAL.c.app_id == members.c.app_id, _GLOBAL.c.chat_id == members.c.chat_id),
        )
    )
    .where(_MINE)
)
_IN_FORCE = sa.or_(
    conversation_pins.c.expires_at.is_(None), conversation_pins.c.expires_at > key("now")
)
_OF_USER = conversation_pins.select().where(
    conversation_pins.c.app_id == key("app"), conversation_pins.c.user_id == key("user")
)
_BY_RANK = (conversation_pins.c.rank, conversation_pins.c.chat_id)
_ONE = sa.and_(
    conversation_pins.c.app_id == key("app"),
    conversation_pins.c.user_id == key("user"),
    conversation_pins.c.chat_id == key("chat"),
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

    async def list_for_user(self, app_id: str, user_id: str, now: int) -> list[ConversationPin]:
        """The user's pins in force at ``now``, in pin order."""
        query = _OF_USER.where(_IN_FORCE).order_by(*_BY_RANK)
        return await self._all(
            ConversationPin, query, {"p_app": app_id, "p_user": user_id, "p_now": now}
        )

    async def due_for_user(self, app_id: str, user_id: str, now: int) -> list[ConversationPin]:
        """The user's pins whose time is up at ``now`` (not swept yet), soonest first."""
        query = _OF_USER.where(conversation_pins.c.expires_at <= key("now")).order_by(
            conversation_pins.c.expires_at, conversation_pins.c.chat_id
        )
        return await self._all(
            ConversationPin, query, {"p_app": app_id, "p_user": user_id, "p_now": now}
        )

    async def due_users(
        self, now: int, limit: int, scope: SweepScope = EVERY_APP
    ) -> list[tuple[str, str]]:
        """Users (app, user) holding a conversation pin whose time is up, longest overdue
        first."""
        earliest = sa.func.min(conversation_pins.c.expires_at)
        columns = sa.select(conversation_pins.c.app_id, conversation_pins.c.user_id)
        query = (
            in_scope(columns, conversation_pins.c.app_id, scope)
            .add_columns(earliest)
            .where(conversation_pins.c.expires_at <= now)
            .group_by(conversation_pins.c.app_id, conversation_pins.c.user_id)
            .order_by(earliest)
            .limit(limit)
        )
        return [(r[0], r[1]) for r in await self._conn.execute(query)]

    async def add(self, pin: ConversationPin) -> None:
        await self._conn.execute(
            conversation_pins.insert().values(**to_row(pin, conversation_pins))
        )

    async def update(self, pin: ConversationPin) -> None:
        """Write a pin's position and expiry."""
        await self._conn.execute(
            conversation_pins.update().where(_ONE).values(rank=pin.rank, expires_at=pin.expires_at),
            {"p_app": pin.app_id, "p_user": pin.user_id, "p_chat": pin.chat_id},
        )

    async def remove(self, app_id: str, user_id: str, chat_id: str) -> None:
        await self._conn.execute(
            conversation_pins.delete().where(_ONE),
            {"p_app": app_id, "p_user": user_id, "p_chat": chat_id},
        )

    async def listing(self, app_id: str, user_id: str, now: int) -> list[ListedConversation]:
        """Every conversation of the user (dissolved chats left out) with what ordering it
        needs: last activity, the user's pin in force and the app's global pin."""
        params = {"p_app": app_id, "p_user": user_id, "p_now": now}
        return [
            ListedConversation(row[0], ChatKind(row[1]), *row[2:])
            for row in await self._conn.execute(_LISTED, params)
        ]

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
        now: int,
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
            _NEWEST, {"p_app": app_id, "p_user": user_id, "p_newest": newest, "p_now": now}
        )
        # Sorting a thousand Row objects by attribute name cost more than the query itself;
        # named tuples read their fields at C speed.
        rows = [_Light._make(row) for row in light]
        if pinned_first:
            # Pinned first, then the rest; newest activity first in each; pin order, id.
            rows.sort(key=lambda r: (r.rank is None, -r.last_activity_at, r.rank or "", r.id))
        else:
            rows.sort(key=lambda r: (r.last_activity_at, r.id))
        page_rows = rows[offset : offset + limit]
        params = {"p_app": app_id, "p_ids": [r.id for r in page_rows]}
        by_id = {chat.id: chat for chat in await self._all(Chat, _CHATS, params)}
        page = []
        for r in page_rows:
            conv_pin = None
            if r.rank is not None and r.pinned_at is not None:
                conv_pin = ConversationPin(app_id, user_id, r.id, r.pinned_at, r.rank, r.expires_at)
            page.append((by_id[r.id], conv_pin))
        return page, len(rows)

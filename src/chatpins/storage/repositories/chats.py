from __future__ import annotations

import sqlalchemy as sa

from chatpins.core.entities import Chat, ChatKind, Member, Role
from chatpins.storage.repositories._base import (
    Connection,
    Repository,
    built_once,
    insert_selecting,
    key,
    to_row,
)
from chatpins.storage.tables import chats, members

_GET = built_once(chats.select().where(chats.c.app_id == key("app"), chats.c.id == key("id")))
_GET_FOR_UPDATE = _GET.with_for_update()
_BUMP = built_once(
    chats.update()
    .where(chats.c.app_id == key("app"), chats.c.id == key("id"))
    .values(pin_version=chats.c.pin_version + 1)
    .returning(chats.c.pin_version)
)
_MEMBER = built_once(
    members.select().where(
        members.c.app_id == key("app"),
        members.c.chat_id == key("chat"),
        members.c.user_id == key("user"),
    )
)


_MEMBER_COUNT = built_once(
    sa.select(sa.func.count())
    .select_from(members)
    .where(members.c.app_id == key("app"), members.c.chat_id == key("chat"))
)


class ChatRepository(Repository):
    def __init__(self, conn: Connection, *, row_locks: bool) -> None:
        super().__init__(conn)
        self._get_for_update = _GET_FOR_UPDATE if row_locks else _GET

    async def add(self, chat: Chat) -> None:
        await self._conn.execute(chats.insert().values(**to_row(chat, chats)))

    async def get(self, app_id: str, chat_id: str, *, for_update: bool = False) -> Chat | None:
        # Every change that can affect a chat's pins locks the chat row first, so pin, recall
        # and dissolve on one chat are serialised (SQLite: BEGIN IMMEDIATE does it).
        query = self._get_for_update if for_update else _GET
        return await self._one(Chat, query, {"p_app": app_id, "p_id": chat_id})

    async def update(self, chat: Chat) -> None:
        values = to_row(chat, chats)
        await self._conn.execute(
            chats.update()
            .where(chats.c.app_id == chat.app_id, chats.c.id == chat.id)
            .values(**values)
        )

    async def touch(self, app_id: str, chat_id: str, at: int) -> None:
        """Record activity (a new message) for conversation-list ordering: on the chat, and on
        each member's row (what the conversation list reads)."""
        await self._conn.execute(
            chats.update()
            .where(
                chats.c.app_id == app_id,
                chats.c.id == chat_id,
                chats.c.last_activity_at < at,
            )
            .values(last_activity_at=at)
        )
        await self._conn.execute(
            members.update()
            .where(
                members.c.app_id == app_id,
                members.c.chat_id == chat_id,
                members.c.last_activity_at < at,
            )
            .values(last_activity_at=at)
        )

    async def bump_pin_version(self, app_id: str, chat_id: str) -> int:
        """The chat's pin list changed: its version grows by one (returned)."""
        result = await self._conn.execute(_BUMP, {"p_app": app_id, "p_id": chat_id})
        return int(result.scalar_one())

    async def find_by_create_key(self, app_id: str, key: str, since: int) -> Chat | None:
        query = (
            chats.select()
            .where(chats.c.app_id == app_id, chats.c.create_key == key, chats.c.created_at >= since)
            .order_by(chats.c.created_at)
            .limit(1)
        )
        return await self._one(Chat, query)

    async def find_p2p(self, app_id: str, user_a: str, user_b: str) -> Chat | None:
        mine = members.alias("mine")
        theirs = members.alias("theirs")
        query = (
            chats.select()
            .join(mine, sa.and_(mine.c.app_id == chats.c.app_id, mine.c.chat_id == chats.c.id))
            .join(
                theirs, sa.and_(theirs.c.app_id == chats.c.app_id, theirs.c.chat_id == chats.c.id)
            )
            .where(
                chats.c.app_id == app_id,
                chats.c.kind == ChatKind.P2P.value,
                chats.c.dissolved_at.is_(None),
                mine.c.user_id == user_a,
                theirs.c.user_id == user_b,
            )
            .limit(1)
        )
        return await self._one(Chat, query)

    async def list_for_member(
        self, app_id: str, user_id: str | None, *, offset: int, limit: int
    ) -> tuple[list[Chat], int]:
        """Live chats the user belongs to (every live chat of the app when ``user_id`` is None),
        most recent activity first; returns (page, total)."""
        where = sa.and_(chats.c.app_id == app_id, chats.c.dissolved_at.is_(None))
        if user_id is not None:
            mine = sa.select(members.c.chat_id).where(
                members.c.app_id == app_id, members.c.user_id == user_id
            )
            where = sa.and_(where, chats.c.id.in_(mine))
        total_query = sa.select(sa.func.count()).select_from(chats).where(where)
        total = (await self._conn.execute(total_query)).scalar_one()
        query = (
            chats.select()
            .where(where)
            .order_by(chats.c.last_activity_at.desc(), chats.c.id)
            .offset(offset)
            .limit(limit)
        )
        return await self._all(Chat, query), total


class MemberRepository(Repository):
    async def add(self, member: Member) -> None:
        """A new member sees the chat where its last activity puts it (the aggregate makes
        one row, with activity 0, when the chat is not there)."""
        activity = sa.func.coalesce(sa.func.max(chats.c.last_activity_at), 0)
        of_chat = sa.and_(chats.c.app_id == member.app_id, chats.c.id == member.chat_id)
        row = to_row(member, members)
        insert = insert_selecting(members, row, {"last_activity_at": activity}, of_chat)
        await self._conn.execute(insert)

    async def get(self, app_id: str, chat_id: str, user_id: str) -> Member | None:
        params = {"p_app": app_id, "p_chat": chat_id, "p_user": user_id}
        return await self._one(Member, _MEMBER, params)

    async def remove(self, app_id: str, chat_id: str, user_id: str) -> None:
        await self._conn.execute(
            members.delete().where(
                members.c.app_id == app_id,
                members.c.chat_id == chat_id,
                members.c.user_id == user_id,
            )
        )

    async def set_role(self, app_id: str, chat_id: str, user_id: str, role: Role) -> None:
        await self._conn.execute(
            members.update()
            .where(
                members.c.app_id == app_id,
                members.c.chat_id == chat_id,
                members.c.user_id == user_id,
            )
            .values(role=role.value)
        )

    async def chat_ids_of(self, app_id: str, user_id: str) -> set[str]:
        query = sa.select(members.c.chat_id).where(
            members.c.app_id == app_id, members.c.user_id == user_id
        )
        return set((await self._conn.execute(query)).scalars())

    async def count(self, app_id: str, chat_id: str) -> int:
        return (
            await self._conn.execute(_MEMBER_COUNT, {"p_app": app_id, "p_chat": chat_id})
        ).scalar_one()

    async def list(self, app_id: str, chat_id: str) -> list[Member]:
        query = (
            members.select()
            .where(members.c.app_id == app_id, members.c.chat_id == chat_id)
            .order_by(members.c.joined_at, members.c.user_id)
        )
        return await self._all(Member, query)

from __future__ import annotations

import sqlalchemy as sa

from chatpins.core.entities import Message
from chatpins.storage.repositories._base import Repository, built_once, key, to_row
from chatpins.storage.tables import messages

_INSERT = built_once(messages.insert())
_GET = built_once(
    messages.select().where(messages.c.app_id == key("app"), messages.c.id == key("id"))
)
_TOUCH = built_once(
    messages.update()
    .where(
        messages.c.app_id == key("app"),
        messages.c.id == key("id"),
        messages.c.updated_at < key("at"),
    )
    .values(updated_at=key("at"))
)


class MessageRepository(Repository):
    async def add(self, message: Message) -> None:
        await self._conn.execute(_INSERT, to_row(message, messages))

    async def get(self, app_id: str, message_id: str) -> Message | None:
        return await self._one(Message, _GET, {"p_app": app_id, "p_id": message_id})

    async def get_many(self, app_id: str, message_ids: list[str]) -> list[Message]:
        if not message_ids:
            return []
        query = messages.select().where(messages.c.app_id == app_id, messages.c.id.in_(message_ids))
        return await self._all(Message, query)

    async def update(self, message: Message) -> None:
        await self._conn.execute(
            messages.update()
            .where(messages.c.app_id == message.app_id, messages.c.id == message.id)
            .values(**to_row(message, messages))
        )

    async def find_by_send_key(self, app_id: str, key: str, since: int) -> Message | None:
        query = (
            messages.select()
            .where(
                messages.c.app_id == app_id,
                messages.c.send_key == key,
                messages.c.created_at >= since,
            )
            .order_by(messages.c.created_at)
            .limit(1)
        )
        return await self._one(Message, query)

    async def touch(self, app_id: str, message_id: str, at: int) -> None:
        """Advance a message's update time (pinning and unpinning count as changes to it)."""
        await self._conn.execute(_TOUCH, {"p_app": app_id, "p_id": message_id, "p_at": at})

    async def last_in_chat(self, app_id: str, chat_id: str, now: int) -> Message | None:
        query = (
            messages.select()
            .where(*self._live_in_chat(app_id, chat_id, now))
            .order_by(messages.c.created_at.desc(), messages.c.id.desc())
            .limit(1)
        )
        return await self._one(Message, query)

    async def page(
        self,
        app_id: str,
        chat_id: str,
        *,
        before: Message | None,
        after: Message | None,
        since: int | None,
        time_field: str,
        descending: bool,
        limit: int,
        now: int,
    ) -> tuple[list[Message], int]:
        """A chat's messages in send order (time, then id), between optional cursor messages
        and after an optional time on ``time_field`` (created_at | updated_at); returns
        (page, total of the chat's messages matching the time filter)."""
        where = list(self._live_in_chat(app_id, chat_id, now))
        if since is not None:
            where.append(messages.c[time_field] > since)
        total_query = sa.select(sa.func.count()).select_from(messages).where(*where)
        total = (await self._conn.execute(total_query)).scalar_one()
        if before is not None:
            where.append(
                sa.or_(
                    messages.c.created_at < before.created_at,
                    sa.and_(messages.c.created_at == before.created_at, messages.c.id < before.id),
                )
            )
        if after is not None:
            where.append(
                sa.or_(
                    messages.c.created_at > after.created_at,
                    sa.and_(messages.c.created_at == after.created_at, messages.c.id > after.id),
                )
            )
        order = (
            [messages.c.created_at.desc(), messages.c.id.desc()]
            if descending
            else [messages.c.created_at, messages.c.id]
        )
        query = messages.select().where(*where).order_by(*order).limit(limit)
        return await self._all(Message, query), total

    @staticmethod
    def _live_in_chat(app_id: str, chat_id: str, now: int) -> tuple[sa.ColumnElement[bool], ...]:
        return (
            messages.c.app_id == app_id,
            messages.c.chat_id == chat_id,
            sa.or_(messages.c.expires_at.is_(None), messages.c.expires_at > now),
        )

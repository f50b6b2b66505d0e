from __future__ import annotations

from chatpins.core.entities import Message
from chatpins.storage.repositories._base import Repository, to_entity, to_row
from chatpins.storage.tables import messages


class MessageRepository(Repository):
    async def add(self, message: Message) -> None:
        await self._conn.execute(messages.insert().values(**to_row(message, messages)))

    async def get(self, app_id: str, message_id: str) -> Message | None:
        query = messages.select().where(messages.c.app_id == app_id, messages.c.id == message_id)
        return to_entity(Message, (await self._conn.execute(query)).first())

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
        return to_entity(Message, (await self._conn.execute(query)).first())

from __future__ import annotations

import sqlalchemy as sa

from chatpins.core.entities import GlobalPin
from chatpins.storage.repositories._base import Connection, Repository, key, to_row
from chatpins.storage.tables import apps, chats, global_pins

# A dissolved chat's global pin stays stored but counts for nothing (no list, no cap).
_OF_APP = (
    sa.select(global_pins)
    .join(
        chats, sa.and_(chats.c.app_id == global_pins.c.app_id, chats.c.id == global_pins.c.chat_id)
    )
    .where(global_pins.c.app_id == key("app"), chats.c.dissolved_at.is_(None))
)
_ONE = sa.and_(global_pins.c.app_id == key("app"), global_pins.c.chat_id == key("chat"))
_APP = sa.select(apps.c.id).where(apps.c.id == key("app"))
_APP_FOR_UPDATE = _APP.with_for_update()


class GlobalPinRepository(Repository):
    """The chats an app pinned to the top of every member's list, ordered by ``rank``."""

    def __init__(self, conn: Connection, *, row_locks: bool) -> None:
        super().__init__(conn)
        self._app_query = _APP_FOR_UPDATE if row_locks else _APP

    async def lock_app(self, app_id: str) -> None:
        """Lock the app's row until commit, so changes to its global pins run one at a time
        (the cap holds). SQLite's writers are serialised already."""
        await self._conn.execute(self._app_query, {"p_app": app_id})

    async def list(self, app_id: str) -> list[GlobalPin]:
        query = _OF_APP.order_by(global_pins.c.rank, global_pins.c.chat_id)
        return await self._all(GlobalPin, query, {"p_app": app_id})

    async def add(self, pin: GlobalPin) -> None:
        await self._conn.execute(global_pins.insert().values(**to_row(pin, global_pins)))

    async def move(self, pin: GlobalPin) -> None:
        params = {"p_app": pin.app_id, "p_chat": pin.chat_id}
        await self._conn.execute(global_pins.update().where(_ONE).values(rank=pin.rank), params)

    async def remove(self, app_id: str, chat_id: str) -> bool:
        params = {"p_app": app_id, "p_chat": chat_id}
        result = await self._conn.execute(global_pins.delete().where(_ONE), params)
        return bool(result.rowcount)

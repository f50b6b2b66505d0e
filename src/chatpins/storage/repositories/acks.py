"""Acknowledgements of must-read pins."""

from __future__ import annotations

import sqlalchemy as sa

from chatpins.core.entities import Pin
from chatpins.storage.repositories._base import Repository
from chatpins.storage.tables import members, pin_acks


def _by_members(app_id: str, chat_id: str) -> sa.ColumnElement[bool]:
    """Only the acks of users who are members now count."""
    return sa.and_(
        members.c.app_id == app_id,
        members.c.chat_id == chat_id,
        members.c.user_id == pin_acks.c.user_id,
    )


class AckRepository(Repository):
    async def add(self, pin: Pin, user_id: str, at: int) -> bool:
        """Record ``user_id``'s ack of ``pin``; False when it was recorded before."""
        found = await self._conn.execute(
            sa.select(pin_acks.c.at).where(
                pin_acks.c.app_id == pin.app_id,
                pin_acks.c.pin_id == pin.id,
                pin_acks.c.user_id == user_id,
            )
        )
        if found.first() is not None:
            return False
        await self._conn.execute(
            pin_acks.insert().values(
                app_id=pin.app_id, pin_id=pin.id, user_id=user_id, chat_id=pin.chat_id, at=at
            )
        )
        return True

    async def of_pin(self, pin: Pin) -> list[tuple[str, int]]:
        """(user, time) of the members who acknowledged ``pin``, earliest first."""
        query = (
            sa.select(pin_acks.c.user_id, pin_acks.c.at)
            .join(members, _by_members(pin.app_id, pin.chat_id))
            .where(pin_acks.c.app_id == pin.app_id, pin_acks.c.pin_id == pin.id)
            .order_by(pin_acks.c.at, pin_acks.c.user_id)
        )
        return [(r[0], r[1]) for r in await self._conn.execute(query)]

    async def counts(self, app_id: str, chat_id: str, pin_ids: list[int]) -> dict[int, int]:
        """How many current members acknowledged each pin (pins without acks left out)."""
        if not pin_ids:
            return {}
        query = (
            sa.select(pin_acks.c.pin_id, sa.func.count())
            .join(members, _by_members(app_id, chat_id))
            .where(pin_acks.c.app_id == app_id, pin_acks.c.pin_id.in_(pin_ids))
            .group_by(pin_acks.c.pin_id)
        )
        return {r[0]: r[1] for r in await self._conn.execute(query)}

    async def forget(self, pin: Pin) -> None:
        await self._conn.execute(
            pin_acks.delete().where(pin_acks.c.app_id == pin.app_id, pin_acks.c.pin_id == pin.id)
        )

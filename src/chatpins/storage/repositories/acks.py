"""Acknowledgements of must-read pins."""

from __future__ import annotations

import sqlalchemy as sa

from chatpins.core.entities import Pin
from chatpins.storage.repositories._base import Repository, built_once, key
from chatpins.storage.tables import members, pin_acks

# Only the acks of users who are members now count.
_BY_MEMBERS = sa.and_(
    members.c.app_id == key("app"),
    members.c.chat_id == key("chat"),
    members.c.user_id == pin_acks.c.user_id,
)
_OF_PIN = sa.and_(pin_acks.c.app_id == key("app"), pin_acks.c.pin_id == key("pin"))
_FIND = built_once(sa.select(pin_acks.c.at).where(_OF_PIN, pin_acks.c.user_id == key("user")))
_INSERT = built_once(pin_acks.insert())
_OF_PIN_BY_MEMBERS = built_once(
    sa.select(pin_acks.c.user_id, pin_acks.c.at)
    .join(members, _BY_MEMBERS)
    .where(_OF_PIN)
    .order_by(pin_acks.c.at, pin_acks.c.user_id)
)
_PINS: sa.BindParameter[int] = sa.bindparam("p_pins", expanding=True)
_COUNTS = (
    sa.select(pin_acks.c.pin_id, sa.func.count())
    .join(members, _BY_MEMBERS)
    .where(pin_acks.c.app_id == key("app"), pin_acks.c.pin_id.in_(_PINS))
    .group_by(pin_acks.c.pin_id)
)
# Every pin removal runs this (eviction included), so it is built once.
_FORGET = built_once(pin_acks.delete().where(_OF_PIN))


def _the(pin: Pin) -> dict[str, object]:
    return {"p_app": pin.app_id, "p_chat": pin.chat_id, "p_pin": pin.id}


class AckRepository(Repository):
    async def add(self, pin: Pin, user_id: str, at: int) -> bool:
        """Record ``user_id``'s ack of ``pin``; False when it was recorded before."""
        found = await self._conn.execute(_FIND, {**_the(pin), "p_user": user_id})
        if found.first() is not None:
            return False
        row = {"app_id": pin.app_id, "pin_id": pin.id, "user_id": user_id, "chat_id": pin.chat_id}
        await self._conn.execute(_INSERT, {**row, "at": at})
        return True

    async def of_pin(self, pin: Pin) -> list[tuple[str, int]]:
        """(user, time) of the members who acknowledged ``pin``, earliest first."""
        return [(r[0], r[1]) for r in await self._conn.execute(_OF_PIN_BY_MEMBERS, _the(pin))]

    async def counts(self, app_id: str, chat_id: str, pin_ids: list[int]) -> dict[int, int]:
        """How many current members acknowledged each pin (pins without acks left out)."""
        if not pin_ids:
            return {}
        params = {"p_app": app_id, "p_chat": chat_id, "p_pins": pin_ids}
        return {r[0]: r[1] for r in await self._conn.execute(_COUNTS, params)}

    async def forget(self, pin: Pin) -> None:
        await self._conn.execute(_FORGET, _the(pin))

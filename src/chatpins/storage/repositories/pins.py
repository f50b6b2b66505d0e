from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa

from chatpins.core.entities import Pin, PinAction, PinChange
from chatpins.core.ports import EVERY_APP, SweepScope
from chatpins.storage.repositories._base import Repository, in_scope, key, to_row
from chatpins.storage.tables import messages, pin_history, pins

_INSERT = pins.insert().returning(pins.c.id)
_BY_MESSAGE = pins.select().where(pins.c.app_id == key("app"), pins.c.message_id == key("id"))
_RECORD = pin_history.insert()
_REMOVALS = [
    PinAction.REMOVED,
    PinAction.EVICTED,
    PinAction.REPLACED,
    PinAction.EXPIRED,
]


def _in_force(now: int) -> sa.ColumnElement[bool]:
    """A pin is in force once started and until its expiry (a pin whose time is up and that
    the sweeper has not removed yet is already gone for every read and every cap)."""
    return sa.and_(
        pins.c.scheduled.is_(False),
        sa.or_(pins.c.expires_at.is_(None), pins.c.expires_at > now),
    )


def _the(pin: Pin) -> sa.ColumnElement[bool]:
    """The pin's row, found by its key (the app first: on a database distributed by app, the
    statement goes to the app's shard only)."""
    return sa.and_(pins.c.app_id == pin.app_id, pins.c.id == pin.id)


def _of_chat(app_id: str, chat_id: str, now: int | None) -> sa.Select[Any]:
    query = pins.select().where(pins.c.app_id == app_id, pins.c.chat_id == chat_id)
    return query if now is None else query.where(_in_force(now))


class PinRepository(Repository):
    async def add(self, pin: Pin) -> Pin:
        values = to_row(pin, pins)
        values.pop("id")
        result = await self._conn.execute(_INSERT, values)
        return dataclasses.replace(pin, id=result.scalar_one())

    async def remove(self, pin: Pin) -> None:
        await self._conn.execute(pins.delete().where(_the(pin)))

    async def get_by_message(self, app_id: str, message_id: str) -> Pin | None:
        return await self._one(Pin, _BY_MESSAGE, {"p_app": app_id, "p_id": message_id})

    async def by_time(
        self,
        app_id: str,
        chat_id: str,
        *,
        now: int | None,
        limit: int | None = None,
        newest: bool = False,
    ) -> list[Pin]:
        """The chat's pins by pin time (oldest first, or newest first), at most ``limit``;
        with ``now``, only the pins in force then."""
        order = (
            (pins.c.pinned_at.desc(), pins.c.id.desc()) if newest else (pins.c.pinned_at, pins.c.id)
        )
        query = _of_chat(app_id, chat_id, now).order_by(*order).limit(limit)
        return await self._all(Pin, query)

    async def by_position(
        self,
        app_id: str,
        chat_id: str,
        *,
        now: int | None,
        limit: int | None = None,
        last_first: bool = False,
    ) -> list[Pin]:
        """The chat's pins in position order (the top first, or the last first); with
        ``now``, only the pins in force then."""
        order = (pins.c.rank.desc(), pins.c.id.desc()) if last_first else (pins.c.rank, pins.c.id)
        query = _of_chat(app_id, chat_id, now).order_by(*order).limit(limit)
        return await self._all(Pin, query)

    async def position_of(self, pin: Pin, now: int) -> int:
        """How many pins in force stand above ``pin`` in its chat."""
        query = (
            sa.select(sa.func.count())
            .select_from(pins)
            .where(
                pins.c.app_id == pin.app_id,
                pins.c.chat_id == pin.chat_id,
                _in_force(now),
                sa.or_(
                    pins.c.rank < pin.rank, sa.and_(pins.c.rank == pin.rank, pins.c.id < pin.id)
                ),
            )
        )
        return (await self._conn.execute(query)).scalar_one()

    async def move(self, pin: Pin, rank: str) -> None:
        await self._conn.execute(pins.update().where(_the(pin)).values(rank=rank))

    async def count_for_chat(self, app_id: str, chat_id: str, now: int) -> int:
        """The chat's pins in force at ``now`` (what a cap counts)."""
        query = (
            sa.select(sa.func.count())
            .select_from(pins)
            .where(pins.c.app_id == app_id, pins.c.chat_id == chat_id, _in_force(now))
        )
        return (await self._conn.execute(query)).scalar_one()

    async def pinned_among(self, app_id: str, message_ids: list[str], now: int) -> set[str]:
        if not message_ids:
            return set()
        query = sa.select(pins.c.message_id).where(
            pins.c.app_id == app_id, pins.c.message_id.in_(message_ids), _in_force(now)
        )
        return set((await self._conn.execute(query)).scalars())

    async def due_chats(
        self, now: int, limit: int, scope: SweepScope = EVERY_APP
    ) -> list[tuple[str, str]]:
        """Chats (app, chat) holding a pin whose time is up, the longest overdue first."""
        query = (
            in_scope(sa.select(pins.c.app_id, pins.c.chat_id), pins.c.app_id, scope)
            .add_columns(sa.func.min(pins.c.expires_at))
            .where(pins.c.expires_at <= now)
            .group_by(pins.c.app_id, pins.c.chat_id)
            .order_by(sa.func.min(pins.c.expires_at))
            .limit(limit)
        )
        return [(r[0], r[1]) for r in await self._conn.execute(query)]

    async def due_in_chat(self, app_id: str, chat_id: str, now: int) -> list[Pin]:
        query = _of_chat(app_id, chat_id, None).where(pins.c.expires_at <= now)
        return await self._all(Pin, query.order_by(pins.c.expires_at, pins.c.id))

    async def chats_to_start(
        self, now: int, limit: int, scope: SweepScope = EVERY_APP
    ) -> list[tuple[str, str]]:
        """Chats (app, chat) holding a scheduled pin whose start has come, the earliest first."""
        query = (
            in_scope(sa.select(pins.c.app_id, pins.c.chat_id), pins.c.app_id, scope)
            .add_columns(sa.func.min(pins.c.starts_at))
            .where(pins.c.starts_at <= now, pins.c.scheduled.is_(True))
            .group_by(pins.c.app_id, pins.c.chat_id)
            .order_by(sa.func.min(pins.c.starts_at))
            .limit(limit)
        )
        return [(r[0], r[1]) for r in await self._conn.execute(query)]

    async def scheduled_in_chat(
        self, app_id: str, chat_id: str, *, due_by: int | None = None
    ) -> list[Pin]:
        """The chat's scheduled pins (only those whose start has come by ``due_by``, when
        given), the earliest start first."""
        query = _of_chat(app_id, chat_id, None).where(pins.c.scheduled.is_(True))
        if due_by is not None:
            query = query.where(pins.c.starts_at <= due_by)
        return await self._all(Pin, query.order_by(pins.c.starts_at, pins.c.id))

    async def start(self, pin: Pin) -> None:
        """A scheduled pin has started: it counts from ``pinned_at`` on."""
        query = pins.update().where(_the(pin))
        await self._conn.execute(query.values(scheduled=False, pinned_at=pin.pinned_at))

    async def page(
        self,
        app_id: str,
        chat_id: str,
        *,
        start: int | None,
        end: int | None,
        after: tuple[int, int] | None,
        limit: int,
        now: int,
    ) -> list[Pin]:
        """Newest first (pin time, then later pin first); ``after`` is the last (time, id) seen.

        Pins of recalled or self-destructed messages are left out.
        """
        query = (
            sa.select(pins)
            .join(
                messages,
                sa.and_(messages.c.app_id == pins.c.app_id, messages.c.id == pins.c.message_id),
            )
            .where(
                pins.c.app_id == app_id,
                pins.c.chat_id == chat_id,
                messages.c.recalled_at.is_(None),
                sa.or_(messages.c.expires_at.is_(None), messages.c.expires_at > now),
                _in_force(now),
            )
            .order_by(pins.c.pinned_at.desc(), pins.c.id.desc())
            .limit(limit)
        )
        if start is not None:
            query = query.where(pins.c.pinned_at >= start)
        if end is not None:
            query = query.where(pins.c.pinned_at <= end)
        if after is not None:
            at, pin_id = after
            query = query.where(
                sa.or_(pins.c.pinned_at < at, sa.and_(pins.c.pinned_at == at, pins.c.id < pin_id))
            )
        return await self._all(Pin, query)

    async def record(self, app_id: str, change: PinChange) -> None:
        values = dataclasses.asdict(change)
        values.pop("id")
        await self._conn.execute(_RECORD, {"app_id": app_id, **values})

    async def update(self, pin: Pin) -> None:
        """A pin's note, expiry and must-read flag."""
        query = pins.update().where(_the(pin))
        values = {"note": pin.note, "expires_at": pin.expires_at, "must_read": pin.must_read}
        await self._conn.execute(query.values(**values))

    async def last_removal(self, app_id: str, chat_id: str, message_id: str) -> PinChange | None:
        """The message's latest history row that took its pin away, if any."""
        query = (
            pin_history.select()
            .where(
                pin_history.c.app_id == app_id,
                pin_history.c.chat_id == chat_id,
                pin_history.c.message_id == message_id,
                pin_history.c.action.in_(_REMOVALS),
            )
            .order_by(pin_history.c.id.desc())
            .limit(1)
        )
        return await self._one(PinChange, query)

    async def history(
        self, app_id: str, chat_id: str, *, after: int, limit: int
    ) -> list[PinChange]:
        """A chat's pin changes, oldest first, after the history row ``after``."""
        query = (
            pin_history.select()
            .where(
                pin_history.c.app_id == app_id,
                pin_history.c.chat_id == chat_id,
                pin_history.c.id > after,
            )
            .order_by(pin_history.c.id)
            .limit(limit)
        )
        return await self._all(PinChange, query)

    async def latest_history(self, app_id: str, chat_id: str, *, limit: int) -> list[PinChange]:
        """A chat's newest pin changes, newest first."""
        query = (
            pin_history.select()
            .where(pin_history.c.app_id == app_id, pin_history.c.chat_id == chat_id)
            .order_by(pin_history.c.id.desc())
            .limit(limit)
        )
        return await self._all(PinChange, query)

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import sqlalchemy as sa

from chatpins.core.entities import Pin, PinAction, PinChange
from chatpins.core.ports import EVERY_APP, SweepScope
from chatpins.storage.repositories._base import (
    Repository,
    built_once,
    in_scope,
    key,
    shallow_dict,
    to_row,
)
from chatpins.storage.tables import messages, pin_history, pins

_INSERT = built_once(pins.insert().returning(pins.c.id))
_BY_MESSAGE = built_once(
    pins.select().where(pins.c.app_id == key("app"), pins.c.message_id == key("id"))
)
_RECORD = built_once(pin_history.insert())
_REMOVALS = [
    PinAction.REMOVED,
    PinAction.EVICTED,
    PinAction.REPLACED,
    PinAction.EXPIRED,
]


def _in_force(now: sa.ColumnElement[Any] | int) -> sa.ColumnElement[bool]:
    """A pin is in force once started and until its expiry (a pin whose time is up and that
    the sweeper has not removed yet is already gone for every read and every cap)."""
    return sa.and_(
        pins.c.scheduled.is_(False),
        sa.or_(pins.c.expires_at.is_(None), pins.c.expires_at > now),
    )


# The pin's row, found by its key (the app first: on a database distributed by app, the
# statement goes to the app's shard only).
_THE = sa.and_(pins.c.app_id == key("app"), pins.c.id == key("id"))
_REMOVE = built_once(pins.delete().where(_THE))
_MOVE = built_once(pins.update().where(_THE).values(rank=key("rank")))
_START = built_once(pins.update().where(_THE).values(scheduled=False, pinned_at=key("pinned_at")))
_UPDATE = built_once(
    pins.update()
    .where(_THE)
    .values(note=key("note"), expires_at=key("expires_at"), must_read=key("must_read"))
)
_OF_CHAT = sa.and_(pins.c.app_id == key("app"), pins.c.chat_id == key("chat"))
_COUNT_IN_FORCE = built_once(
    sa.select(sa.func.count()).select_from(pins).where(_OF_CHAT, _in_force(key("now")))
)
_ABOVE = sa.or_(
    pins.c.rank < key("rank"), sa.and_(pins.c.rank == key("rank"), pins.c.id < key("id"))
)
_POSITION_OF = built_once(
    sa.select(sa.func.count()).select_from(pins).where(_OF_CHAT, _in_force(key("now")), _ABOVE)
)
# The message ids of a chat's pins in force, top first: what a capped chat's events carry.
_ORDER = built_once(
    sa.select(pins.c.message_id)
    .where(_OF_CHAT, _in_force(key("now")))
    .order_by(pins.c.rank, pins.c.id)
)
_PINNED_AMONG = sa.select(pins.c.message_id).where(
    pins.c.app_id == key("app"),
    pins.c.message_id.in_(sa.bindparam("p_ids", expanding=True)),
    _in_force(key("now")),
)


def _the(pin: Pin) -> dict[str, Any]:
    return {"p_app": pin.app_id, "p_id": pin.id}


@functools.cache
def _ordered(by: str, backwards: bool, in_force: bool, limited: bool) -> sa.Select[Any]:
    """A chat's pins ordered ``by`` position (``rank``) or by pin time (``pinned_at``), built
    once per shape: building a statement per call costs more than running it on SQLite."""
    column = pins.c[by]
    order = (column.desc(), pins.c.id.desc()) if backwards else (column, pins.c.id)
    query = pins.select().where(_OF_CHAT).order_by(*order)
    if in_force:
        query = query.where(_in_force(key("now")))
    return built_once(query.limit(key("limit")) if limited else query)


def _chat_params(app_id: str, chat_id: str, now: int | None, limit: int | None) -> dict[str, Any]:
    return {"p_app": app_id, "p_chat": chat_id, "p_now": now, "p_limit": limit}


@functools.cache
def _page(since: bool, until: bool, after: bool) -> sa.Select[Any]:
    """The newest-first page of a chat's pins whose messages are still readable, per shape of
    the optional bounds."""
    query = (
        sa.select(pins)
        .join(
            messages,
            sa.and_(messages.c.app_id == pins.c.app_id, messages.c.id == pins.c.message_id),
        )
        .where(
            _OF_CHAT,
            messages.c.recalled_at.is_(None),
            sa.or_(messages.c.expires_at.is_(None), messages.c.expires_at > key("now")),
            _in_force(key("now")),
        )
        .order_by(pins.c.pinned_at.desc(), pins.c.id.desc())
        .limit(key("limit"))
    )
    if since:
        query = query.where(pins.c.pinned_at >= key("start"))
    if until:
        query = query.where(pins.c.pinned_at <= key("end"))
    if after:
        query = query.where(
            sa.or_(
                pins.c.pinned_at < key("after_at"),
                sa.and_(pins.c.pinned_at == key("after_at"), pins.c.id < key("after_id")),
            )
        )
    return built_once(query)


class PinRepository(Repository):
    async def add(self, pin: Pin) -> Pin:
        values = to_row(pin, pins)
        values.pop("id")
        result = await self._conn.execute(_INSERT, values)
        return dataclasses.replace(pin, id=result.scalar_one())

    async def remove(self, pin: Pin) -> None:
        await self._conn.execute(_REMOVE, _the(pin))

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
        query = _ordered("pinned_at", newest, now is not None, limit is not None)
        return await self._all(Pin, query, _chat_params(app_id, chat_id, now, limit))

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
        query = _ordered("rank", last_first, now is not None, limit is not None)
        return await self._all(Pin, query, _chat_params(app_id, chat_id, now, limit))

    async def order_of(self, app_id: str, chat_id: str, now: int) -> list[str]:
        """The message ids of the chat's pins in force at ``now``, in position order (the
        ids only: a capped chat's every change reads them for its event)."""
        params = _chat_params(app_id, chat_id, now, None)
        return list((await self._conn.execute(_ORDER, params)).scalars())

    async def position_of(self, pin: Pin, now: int) -> int:
        """How many pins in force stand above ``pin`` in its chat."""
        params = _chat_params(pin.app_id, pin.chat_id, now, None)
        result = await self._conn.execute(
            _POSITION_OF, {**params, "p_rank": pin.rank, "p_id": pin.id}
        )
        return result.scalar_one()

    async def move(self, pin: Pin, rank: str) -> None:
        await self._conn.execute(_MOVE, {**_the(pin), "p_rank": rank})

    async def count_for_chat(self, app_id: str, chat_id: str, now: int) -> int:
        """The chat's pins in force at ``now`` (what a cap counts)."""
        params = _chat_params(app_id, chat_id, now, None)
        return (await self._conn.execute(_COUNT_IN_FORCE, params)).scalar_one()

    async def pinned_among(self, app_id: str, message_ids: list[str], now: int) -> set[str]:
        if not message_ids:
            return set()
        params = {"p_app": app_id, "p_ids": message_ids, "p_now": now}
        return set((await self._conn.execute(_PINNED_AMONG, params)).scalars())

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
        query = pins.select().where(_OF_CHAT, pins.c.expires_at <= key("now"))
        params = _chat_params(app_id, chat_id, now, None)
        return await self._all(Pin, query.order_by(pins.c.expires_at, pins.c.id), params)

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
        query = pins.select().where(_OF_CHAT, pins.c.scheduled.is_(True))
        if due_by is not None:
            query = query.where(pins.c.starts_at <= key("due_by"))
        params = {**_chat_params(app_id, chat_id, None, None), "p_due_by": due_by}
        return await self._all(Pin, query.order_by(pins.c.starts_at, pins.c.id), params)

    async def start(self, pin: Pin) -> None:
        """A scheduled pin has started: it counts from ``pinned_at`` on."""
        await self._conn.execute(_START, {**_the(pin), "p_pinned_at": pin.pinned_at})

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
        query = _page(start is not None, end is not None, after is not None)
        params = {**_chat_params(app_id, chat_id, now, limit), "p_start": start, "p_end": end}
        if after is not None:
            params["p_after_at"], params["p_after_id"] = after
        return await self._all(Pin, query, params)

    async def record(self, app_id: str, change: PinChange) -> None:
        values = shallow_dict(change)
        values.pop("id")
        await self._conn.execute(_RECORD, {"app_id": app_id, **values})

    async def update(self, pin: Pin) -> None:
        """A pin's note, expiry and must-read flag."""
        values = {"p_note": pin.note, "p_expires_at": pin.expires_at, "p_must_read": pin.must_read}
        await self._conn.execute(_UPDATE, {**_the(pin), **values})

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

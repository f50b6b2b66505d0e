"""Scheduled pins starting: the time-driven half of ``pins._schedule``.

A scheduled pin is written when it is asked for and stays invisible until its start. The
sweeper then starts it in its chat's transaction, under the chat's row lock, as if it were
pinned at that moment: the chat's cap and overflow apply then (``reject``: the scheduled pin is
dropped, history ``removed`` with reason ``pin_limit``; the evict policies make room), and a
message recalled or a chat dissolved meanwhile drops it (reason ``not_pinnable``). A started
pin writes history ``added`` with reason ``scheduled`` (actor null, dialect ``system``) and
``pin.created``.
"""

from __future__ import annotations

from chatpins.core.context import Actor
from chatpins.core.entities import Chat, Pin, PinAction
from chatpins.core.errors import LimitExceeded
from chatpins.core.events import EventType
from chatpins.core.ports import UnitOfWork
from chatpins.core.services import pin_changes


async def start_within(uow: UnitOfWork, system: Actor, chat: Chat, pin: Pin, now: int) -> bool:
    """Start one scheduled pin whose time has come; False when it could not be pinned and was
    dropped instead."""
    message = await uow.messages.get(chat.app_id, pin.message_id)
    if (
        chat.dissolved
        or message is None
        or message.recalled
        or message.expires_at is not None
        or message.is_expired(now)
    ):
        return await _drop(uow, system, chat, pin, now, "not_pinnable")
    try:
        await pin_changes.make_room(uow, system, chat, now)
    except LimitExceeded:
        return await _drop(uow, system, chat, pin, now, "pin_limit")
    assert pin.starts_at is not None
    pin.scheduled, pin.pinned_at = False, pin.starts_at
    await uow.pins.start(pin)
    await uow.messages.touch(chat.app_id, pin.message_id, now)
    await pin_changes.record_change(
        uow,
        system,
        chat,
        pin,
        now,
        PinAction.ADDED,
        "scheduled",
        EventType.PIN_CREATED,
        starts_at=pin.starts_at,
    )
    return True


async def _drop(
    uow: UnitOfWork, system: Actor, chat: Chat, pin: Pin, now: int, reason: str
) -> bool:
    await pin_changes.remove_within(
        uow, system, chat, pin, now, action=PinAction.REMOVED, reason=reason
    )
    return False

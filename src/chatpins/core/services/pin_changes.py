"""The steps every pin change shares, whatever the use case: making room under a chat's cap,
placing a new pin in the order, removing a pin, and recording a change (the chat's pin
version, the history row and the event, in the change's own transaction)."""

from __future__ import annotations

from typing import Any

from chatpins.core import ranks
from chatpins.core.context import Actor
from chatpins.core.entities import Chat, Overflow, Pin, PinAction, PinChange
from chatpins.core.errors import InvalidArgument, LimitExceeded, Reason
from chatpins.core.events import EventType, chat_audience, emit
from chatpins.core.ports import UnitOfWork


async def make_room(uow: UnitOfWork, actor: Actor, chat: Chat, now: int) -> list[str]:
    """Enforce ``max_pins`` before a new pin: refuse, or evict as the chat's overflow says
    (the pin pinned longest ago, or the one in the lowest position). The evicted messages."""
    if chat.max_pins is None:
        return []
    excess = await uow.pins.count_for_chat(actor.app_id, chat.id, now) - chat.max_pins + 1
    if excess <= 0:
        return []
    if chat.overflow is Overflow.REJECT:
        raise LimitExceeded(Reason.PIN_LIMIT, str(chat.max_pins))
    if chat.overflow is Overflow.EVICT_LAST:
        evicted = await uow.pins.by_position(
            actor.app_id, chat.id, now=now, limit=excess, last_first=True
        )
    else:
        evicted = await uow.pins.by_time(actor.app_id, chat.id, now=now, limit=excess)
    # A one-pin chat "replaces" its pin (IMKit), a larger one "evicts".
    action = PinAction.REPLACED if chat.max_pins == 1 else PinAction.EVICTED
    for old in evicted:
        await remove_within(uow, actor, chat, old, now, action=action, reason="pin_limit")
    return [old.message_id for old in evicted]


async def rank_at(uow: UnitOfWork, chat: Chat, position: int, now: int) -> tuple[str, int]:
    """A key for a new pin at ``position`` (between the keys now at ``position - 1`` and
    ``position``) and the position it gets (the end, when asked past it). Reads the pins
    above it only (the top: one row), so no count is needed."""
    if position < 0:
        raise InvalidArgument(Reason.INVALID_POSITION, str(position))
    above = await uow.pins.by_position(chat.app_id, chat.id, now=now, limit=position + 1)
    if position < len(above):
        before = above[position - 1].rank if position > 0 else None
        after: str | None = above[position].rank
    else:
        before, after = (above[-1].rank if above else None), None
        position = len(above)
    if before is None or after is None or before < after:
        key = ranks.between(before, after)
        if not ranks.too_long(key):
            return key, position
    # Keys grown long, or equal neighbours (never written by this code): spread, then retry.
    await _spread(uow, chat)
    return await rank_at(uow, chat, position, now)


async def _spread(uow: UnitOfWork, chat: Chat) -> None:
    """Give the chat's pins short keys again, keeping their order."""
    ordered = await uow.pins.by_position(chat.app_id, chat.id, now=None)
    for pin, key in zip(ordered, ranks.spread(len(ordered)), strict=True):
        await uow.pins.move(pin, key)


async def expire_within(uow: UnitOfWork, system: Actor, chat: Chat, pin: Pin, now: int) -> None:
    """Remove a pin whose time is up: history ``expired``, ``pin.deleted`` with that action."""
    await remove_within(uow, system, chat, pin, now, action=PinAction.EXPIRED, reason="expired")


async def remove_within(
    uow: UnitOfWork, actor: Actor, chat: Chat, pin: Pin, now: int, *, action: PinAction, reason: str
) -> None:
    await uow.pins.remove(pin)
    await uow.acks.forget(pin)
    await uow.messages.touch(actor.app_id, pin.message_id, now)
    await record_change(uow, actor, chat, pin, now, action, reason, EventType.PIN_DELETED)


async def record_change(
    uow: UnitOfWork,
    actor: Actor,
    chat: Chat,
    pin: Pin,
    now: int,
    action: PinAction,
    reason: str,
    event_type: EventType,
    **details: Any,
) -> None:
    """Bump the chat's pin version; write the history row and the event (with ``details``).

    The event carries the version; for chats with a pin cap it also carries the whole new pin
    order (short by construction). An uncapped chat's order can be thousands long: a client
    that sees a version gap re-reads the list instead.
    """
    chat.pin_version = await uow.chats.bump_pin_version(actor.app_id, chat.id)
    change = PinChange(
        chat.id,
        pin.message_id,
        action,
        actor.actor_id,
        actor.dialect,
        now,
        reason,
        chat.pin_version,
        note=pin.note,
        must_read=pin.must_read,
    )
    await uow.pins.record(actor.app_id, change)
    order = None
    if chat.max_pins is not None:
        order = await uow.pins.order_of(actor.app_id, chat.id, now)
    await emit(
        uow,
        actor,
        now,
        event_type,
        chat_audience(chat.id),
        chat_id=chat.id,
        message_id=pin.message_id,
        action=action,
        reason=reason,
        version=chat.pin_version,
        pins=order,
        **details,
    )

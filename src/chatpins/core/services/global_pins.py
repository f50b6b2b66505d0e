"""Global pins: chats the app pins to the top of every member's conversation list.

Only the platform (the app's API key) sets or clears them; members cannot unpin them (the
native list refuses with ``global_pin``). They are ordered among themselves, a new one at the
top unless a position is given, at most ``MAX_GLOBAL_PINS`` per app (changes take the app's
row lock, so parallel calls cannot pass the cap). Each change writes ``conversation.changed``
with ``scope: "global"`` to the chat's members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatpins.core import policies, ranks
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Chat, ChatKind, GlobalPin
from chatpins.core.errors import InvalidArgument, LimitExceeded, NotFound, PermissionDenied, Reason
from chatpins.core.events import EventType, chat_audience, emit
from chatpins.core.ports import UnitOfWork

MAX_GLOBAL_PINS = 50  # per app: a list of "everyone's top" longer than this is no longer a top


@dataclass(frozen=True)
class GlobalPinOutcome:
    pin: GlobalPin
    position: int
    created: bool
    order: list[GlobalPin]  # the app's global pins, in order


async def pin_globally(
    deps: Deps, actor: Actor, chat_id: str, *, position: int | None = None
) -> GlobalPinOutcome:
    """Pin a group chat to the top of every member's list (the platform only). Pinning it again
    moves it when a position is given, else changes nothing."""
    _require_platform(actor)
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        chat = await uow.chats.get(actor.app_id, chat_id)
        if chat is None:
            raise NotFound(Reason.CHAT_NOT_FOUND, chat_id)
        policies.require_live(chat)
        if chat.kind is not ChatKind.GROUP:
            raise InvalidArgument(Reason.NOT_A_GROUP, chat_id)
        await uow.global_pins.lock_app(actor.app_id)
        pins = await uow.global_pins.list(actor.app_id)
        existing = next((p for p in pins if p.chat_id == chat.id), None)
        if existing is not None and position is None:
            return GlobalPinOutcome(existing, pins.index(existing), False, pins)
        others = [p for p in pins if p is not existing]
        if existing is None and len(pins) >= MAX_GLOBAL_PINS:
            raise LimitExceeded(Reason.GLOBAL_PIN_LIMIT, str(MAX_GLOBAL_PINS))
        target = existing or GlobalPin(actor.app_id, chat.id, now, "", actor.actor_id or "")
        order, respread = ranks.insert(others, target, position or 0)
        for pin_ in respread:
            await uow.global_pins.move(pin_)
        if existing is None:
            await uow.global_pins.add(target)
        else:
            await uow.global_pins.move(target)
        await _emit_global(uow, actor, now, chat, target, order)
        return GlobalPinOutcome(target, order.index(target), existing is None, order)


async def unpin_globally(deps: Deps, actor: Actor, chat_id: str) -> list[GlobalPin]:
    """Take a chat off every member's top (the platform only); the global pins left."""
    _require_platform(actor)
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        await uow.global_pins.lock_app(actor.app_id)
        if not await uow.global_pins.remove(actor.app_id, chat_id):
            raise NotFound(Reason.GLOBAL_PIN_NOT_FOUND, chat_id)
        order = await uow.global_pins.list(actor.app_id)
        chat = await uow.chats.get(actor.app_id, chat_id)
        if chat is not None:
            await _emit_global(uow, actor, now, chat, None, order)
        return order


def _require_platform(actor: Actor) -> None:
    """Global pins are the app's: only its API key sets or clears them."""
    if not actor.is_platform:
        raise PermissionDenied(Reason.PLATFORM_ONLY)


async def _emit_global(
    uow: UnitOfWork,
    actor: Actor,
    now: int,
    chat: Chat,
    pin: GlobalPin | None,
    order: list[GlobalPin],
) -> None:
    """``conversation.changed`` with ``scope: "global"`` to the chat's members."""
    ids = [p.chat_id for p in order]
    conversation: dict[str, Any] = {
        "chat_id": chat.id,
        "type": "group",
        "conversation_id": chat.id,
        "is_pinned": pin is not None,
        "pinned_at": pin.pinned_at if pin else 0,
        "rank": pin.rank if pin else None,
        "position": ids.index(chat.id) if pin else None,
        "expires_at": None,
        "order_key": chat.last_activity_at,
    }
    await emit(
        uow,
        actor,
        now,
        EventType.CONVERSATION_CHANGED,
        chat_audience(chat.id),
        user_id=None,
        scope="global",
        change="updated",
        conversation=conversation,
        global_order=ids,
    )

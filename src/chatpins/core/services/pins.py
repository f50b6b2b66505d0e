"""Pinning messages in a chat: the one pin algorithm every dialect shares.

A chat's pin rules are data on the chat (``max_pins``, ``overflow``, ``pin_permission``), set
from the creating dialect's defaults; nothing here depends on the dialect.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatpins.core import policies
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Chat, Member, Message, Overflow, Pin, PinAction, PinChange
from chatpins.core.errors import (
    Gone,
    InvalidArgument,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    RateLimited,
    Reason,
    Unsupported,
)
from chatpins.core.events import EventType, chat_audience, emit
from chatpins.core.ports import UnitOfWork

# Pin and unpin together, per message (Feishu 230047: 5 per second on one message_id).
PIN_OPS_PER_MESSAGE_PER_SECOND = 5
UNPINNABLE_TYPES = frozenset({"system", "hongbao", "video_chat"})


@dataclass
class PinPage:
    pins: list[Pin]
    has_more: bool
    next_after: tuple[int, int] | None  # (pinned_at, id) of the last pin, when has_more


async def pin_message(deps: Deps, actor: Actor, message_id: str) -> Pin:
    """Pin a message. Pinning a pinned message returns the existing pin unchanged."""
    pin, _message = await pin_and_read(deps, actor, message_id)
    return pin


async def pin_and_read(deps: Deps, actor: Actor, message_id: str) -> tuple[Pin, Message]:
    """Pin a message; also return the message as it reads right after the pin (same
    transaction, so a concurrent pin that replaces this one cannot show through)."""
    policies.require_app_capabilities(actor, pin_scope=True)
    now = deps.clock.now_ms()
    async with deps.uow(write=True) as uow:
        message, chat, member = await _load_for_pin_change(uow, actor, message_id, now)
        if message.recalled:
            raise Gone(Reason.MESSAGE_RECALLED)
        if message.expires_at is not None:
            raise Gone(Reason.MESSAGE_SELF_DESTRUCTING)
        if message.type in UNPINNABLE_TYPES:
            raise Unsupported(Reason.MESSAGE_TYPE, message.type)
        _require_pin_permission(chat, member)
        await _count_pin_operation(deps, actor, message_id)
        existing = await uow.pins.get_by_message(actor.app_id, message_id)
        if existing is not None:
            return existing, message
        await _make_room(uow, actor, chat, now)
        # The chat's pin version only grows, so ranks taken from it order pins by time without
        # reading the chat's other pins (a Feishu chat may hold thousands).
        rank = chat.pin_version + 1
        pin = await uow.pins.add(
            Pin(
                app_id=actor.app_id,
                chat_id=chat.id,
                message_id=message_id,
                pinned_by=actor.user.id,
                pinned_at=now,
                rank=rank,
                dialect=actor.dialect,
            )
        )
        # Pinning is a change to the message: its update time advances (IMKit updatedAtMS).
        await uow.messages.touch(actor.app_id, message_id, now)
        await _changed(
            uow, actor, chat, pin.message_id, now, PinAction.ADDED, "pinned", EventType.PIN_CREATED
        )
        message.updated_at = max(message.updated_at, now)
    return pin, message


async def _make_room(uow: UnitOfWork, actor: Actor, chat: Chat, now: int) -> None:
    """Enforce ``max_pins`` before a new pin: refuse, or remove the oldest ranks."""
    if chat.max_pins is None:
        return
    excess = await uow.pins.count_for_chat(actor.app_id, chat.id) - chat.max_pins + 1
    if excess <= 0:
        return
    if chat.overflow is Overflow.REJECT:
        raise LimitExceeded(Reason.PIN_LIMIT, str(chat.max_pins))
    # A one-pin chat "replaces" its pin, a larger one "evicts" the oldest.
    action = PinAction.REPLACED if chat.max_pins == 1 else PinAction.EVICTED
    for old in await uow.pins.by_rank(actor.app_id, chat.id, limit=excess):
        await _remove(uow, actor, chat, old, now, action=action, reason="pin_limit")


async def unpin_message(deps: Deps, actor: Actor, message_id: str) -> Message:
    """Unpin a message. Not pinned, or already recalled, is still a success.

    Returns the message as it reads right after the unpin.
    """
    policies.require_app_capabilities(actor, pin_scope=True)
    now = deps.clock.now_ms()
    async with deps.uow(write=True) as uow:
        message, chat, member = await _load_for_pin_change(uow, actor, message_id, now)
        _require_pin_permission(chat, member)
        await _count_pin_operation(deps, actor, message_id)
        if await unpin_within(uow, actor, chat, message_id, now, reason="unpinned"):
            message.updated_at = max(message.updated_at, now)
    return message


async def list_pins(
    deps: Deps,
    actor: Actor,
    chat_id: str,
    *,
    start: int | None = None,
    end: int | None = None,
    after: tuple[int, int] | None = None,
    limit: int = 20,
) -> PinPage:
    """A chat's pins, newest first, within an optional time window (bounds inclusive)."""
    policies.require_app_capabilities(actor)
    now = deps.clock.now_ms()
    async with deps.uow() as uow:
        chat = await uow.chats.get(actor.app_id, chat_id)
        if chat is None:
            raise InvalidArgument(Reason.UNKNOWN_CHAT_ID, chat_id)
        policies.require_live(chat)
        await policies.require_app_bot(uow, actor, chat)
        await policies.require_available(uow, actor, chat)
        if await policies.membership(uow, actor, chat) is None:
            raise PermissionDenied(Reason.NOT_CHAT_MEMBER)
        pins = await uow.pins.page(
            actor.app_id, chat.id, start=start, end=end, after=after, limit=limit + 1, now=now
        )
    has_more = len(pins) > limit
    pins = pins[:limit]
    last = pins[-1] if has_more else None
    return PinPage(pins, has_more, (last.pinned_at, last.id or 0) if last else None)


async def unpin_within(
    uow: UnitOfWork, actor: Actor, chat: Chat, message_id: str, now: int, *, reason: str
) -> bool:
    """Remove a message's pin inside an open unit of work; False when it was not pinned."""
    pin = await uow.pins.get_by_message(actor.app_id, message_id)
    if pin is None:
        return False
    await _remove(uow, actor, chat, pin, now, action=PinAction.REMOVED, reason=reason)
    return True


async def _load_for_pin_change(
    uow: UnitOfWork, actor: Actor, message_id: str, now: int
) -> tuple[Message, Chat, Member | None]:
    """The checks pin and unpin share, in Feishu's documented order (230001 … 230050)."""
    message = await uow.messages.get(actor.app_id, message_id)
    if message is None or message.is_expired(now):
        raise NotFound(Reason.MESSAGE_NOT_FOUND, message_id)
    # Lock the chat row: pin, recall and dissolve of one chat are serialised, so a dissolved
    # chat or a recalled message never ends up pinned, whatever the interleaving.
    chat = await uow.chats.get(actor.app_id, message.chat_id, for_update=True)
    if chat is None:
        raise NotFound(Reason.CHAT_NOT_FOUND, message.chat_id)
    policies.require_live(chat)
    bot = await policies.require_app_bot(uow, actor, chat)
    await policies.require_available(uow, actor, chat)
    if uow.row_locks:
        # Re-read under the lock: a recall that committed while we waited must be seen.
        # (Without row locks the whole write transaction is serialised from its start, and
        # the first read was already under it.)
        message = await uow.messages.get(actor.app_id, message_id)
        assert message is not None
    if bot is not None and bot.user_id == actor.user.id:
        member: Member | None = bot  # the bot acting: already read
    else:
        member = await policies.membership(uow, actor, chat)
    if not policies.can_see(message, member, actor):
        raise PermissionDenied(Reason.MESSAGE_INVISIBLE)
    return message, chat, member


def _require_pin_permission(chat: Chat, member: Member | None) -> None:
    if not policies.allowed(chat.pin_permission, chat, member):
        raise PermissionDenied(Reason.MAY_NOT_PIN)


async def _count_pin_operation(deps: Deps, actor: Actor, message_id: str) -> None:
    key = f"pinop:{actor.app_id}:{message_id}"
    if await deps.limiter.hit(key, PIN_OPS_PER_MESSAGE_PER_SECOND, 1.0) is not None:
        raise RateLimited(Reason.MESSAGE_PIN_RATE, limit=PIN_OPS_PER_MESSAGE_PER_SECOND)


async def _remove(
    uow: UnitOfWork, actor: Actor, chat: Chat, pin: Pin, now: int, *, action: PinAction, reason: str
) -> None:
    await uow.pins.remove(pin)
    await uow.messages.touch(actor.app_id, pin.message_id, now)
    await _changed(uow, actor, chat, pin.message_id, now, action, reason, EventType.PIN_DELETED)


async def _changed(
    uow: UnitOfWork,
    actor: Actor,
    chat: Chat,
    message_id: str,
    now: int,
    action: PinAction,
    reason: str,
    event_type: EventType,
) -> None:
    """Bump the chat's pin version; write the history row and the event with it.

    The event carries the version; for chats with a pin cap it also carries the whole new pin
    order (short by construction). An uncapped chat's order can be thousands long: a client
    that sees a version gap re-reads the list instead.
    """
    chat.pin_version = await uow.chats.bump_pin_version(actor.app_id, chat.id)
    change = PinChange(
        chat.id, message_id, action, actor.user.id, actor.dialect, now, reason, chat.pin_version
    )
    await uow.pins.record(actor.app_id, change)
    order = None
    if chat.max_pins is not None:
        order = [p.message_id for p in await uow.pins.by_rank(actor.app_id, chat.id)]
    await emit(
        uow,
        actor,
        now,
        event_type,
        chat_audience(chat.id),
        chat_id=chat.id,
        message_id=message_id,
        action=action,
        reason=reason,
        version=chat.pin_version,
        pins=order,
    )

"""Applying declared pins (``declared_state``): a chat's pins, and a user's pinned
conversations, each exactly the declared list in the declared order (the top first).

A pin already there stays: its row, its pin time and its key, unless it must move (a pin that
keeps its place among the others keeps its key, as ``reorder`` does). A declared list longer
than the chat's cap (or the app's conversation cap) is refused whatever the chat's overflow
says: the declaration is the state to reach, and evicting would make it a different one.

Who acts: a new pin is made by its ``pinned_by`` (``pin.created``, history ``added``); a pin
removed, edited or moved by the app's bot as the platform; a pin whose time was already up is
expired first, as the sweeper would. A user's conversation pins are changed by that user.
"""

from __future__ import annotations

from collections import Counter

from chatpins.core import ranks
from chatpins.core.context import SYSTEM_DIALECT, Actor
from chatpins.core.entities import (
    App,
    Chat,
    ConversationPin,
    Pin,
    PinAction,
    User,
)
from chatpins.core.events import EventType
from chatpins.core.ports import UnitOfWork
from chatpins.core.services import pin_changes, pin_lists
from chatpins.core.services.conversations import (
    conversation_ref,
    emit_change,
    expire_due_within,
)
from chatpins.core.services.declared_state import (
    DeclarationRefused,
    DeclaredChat,
    DeclaredPin,
    DeclaredUser,
    Path,
)

# The reason pin history rows and events give for a change a declaration made.
DECLARED = "declared"


async def apply_pins(
    uow: UnitOfWork,
    app: App,
    users: dict[str, User],
    chat: Chat,
    spec: DeclaredChat,
    at: Path,
    now: int,
    changes: Counter[str],
) -> None:
    platform = Actor(app, users[app.bot_user_id], chat.dialect, is_platform=True)
    for due in await uow.pins.due_in_chat(app.id, chat.id, now):
        await pin_changes.expire_within(uow, platform.as_system(), chat, due, now)
        changes["pin.expired"] += 1
    for index, declared in enumerate(spec.pins):
        await _check_pin(uow, chat, declared, (*at, "pins", index), now)
    if chat.max_pins is not None and len(spec.pins) > chat.max_pins:
        raise DeclarationRefused(
            (*at, "pins", chat.max_pins),
            f"chat '{chat.id}' holds at most {chat.max_pins} pins (its pin policy's max_pins)",
        )
    kept = await _keep_or_remove(uow, platform, chat, spec, now, changes)
    for declared in spec.pins:
        pin = kept.get(declared.message)
        if pin is not None and _details(pin) != _details(declared):
            await _edit(uow, platform, chat, pin, declared, now)
            changes["pin.edited"] += 1
    order = [kept.get(p.message) for p in spec.pins]
    keys = positions([p.rank if p is not None else None for p in order])
    moved = []
    for pin, key in zip(order, keys, strict=True):
        if pin is not None and pin.rank != key:
            await uow.pins.move(pin, key)
            pin.rank = key
            moved.append(pin)
    if moved:
        placed = [p for p in order if p is not None]
        await pin_lists.record_reorder_within(uow, platform, chat, placed, moved, now)
        changes["pin.moved"] += len(moved)
    # The bottom one first: pins of one pin time list the later-written first (Feishu lists
    # by time), so the top pin reads as the newest, as if each had been pinned to the top.
    for index in reversed(range(len(spec.pins))):
        if order[index] is None:
            declared = spec.pins[index]
            actor = Actor(app, users[declared.pinned_by], chat.dialect)
            await _add(uow, actor, chat, declared, keys[index], now)
            changes["pin.added"] += 1


async def _check_pin(
    uow: UnitOfWork, chat: Chat, declared: DeclaredPin, at: Path, now: int
) -> None:
    """A pin must name a live message of its chat, of a type the chat lets pin, and end (if
    it ends) in the future."""
    message = await uow.messages.get(chat.app_id, declared.message)
    if message is None or message.is_expired(now):
        raise DeclarationRefused((*at, "message"), f"unknown message '{declared.message}'")
    if message.chat_id != chat.id:
        raise DeclarationRefused(
            (*at, "message"), f"message '{declared.message}' is in chat '{message.chat_id}'"
        )
    if message.recalled:
        raise DeclarationRefused((*at, "message"), f"message '{declared.message}' was recalled")
    if message.type in chat.limits.unpinnable_types:
        raise DeclarationRefused(
            (*at, "message"), f"messages of type '{message.type}' cannot be pinned in this chat"
        )
    if declared.expires_at is not None and declared.expires_at <= now:
        raise DeclarationRefused((*at, "expires_at"), "expires_at_ms is not in the future")


async def _keep_or_remove(
    uow: UnitOfWork,
    platform: Actor,
    chat: Chat,
    spec: DeclaredChat,
    now: int,
    changes: Counter[str],
) -> dict[str, Pin]:
    """Remove every pin the declaration does not hold as it is (a pin by someone else, or
    of another time, is made again); the pins that stay, by message."""
    declared = {p.message: p for p in spec.pins}
    kept: dict[str, Pin] = {}
    for pin in await uow.pins.by_position(chat.app_id, chat.id, now=now):
        wanted = declared.get(pin.message_id)
        if wanted is not None and _same_pin(pin, wanted):
            kept[pin.message_id] = pin
            continue
        await pin_changes.remove_within(
            uow, platform, chat, pin, now, action=PinAction.REMOVED, reason=DECLARED
        )
        changes["pin.removed"] += 1
    # A scheduled pin of a declared message gives way to the declared pin (one pin per
    # message); the other scheduled pins are not the declaration's business.
    for pin in await uow.pins.scheduled_in_chat(chat.app_id, chat.id):
        if pin.message_id in declared:
            await pin_changes.remove_within(
                uow, platform, chat, pin, now, action=PinAction.REMOVED, reason=DECLARED
            )
            changes["pin.removed"] += 1
    return kept


def _same_pin(pin: Pin, declared: DeclaredPin) -> bool:
    same_time = declared.pinned_at is None or declared.pinned_at == pin.pinned_at
    return pin.pinned_by == declared.pinned_by and same_time


def _details(pin: Pin | DeclaredPin) -> tuple[str, int | None, bool]:
    return pin.note, pin.expires_at, pin.must_read


async def _edit(
    uow: UnitOfWork, platform: Actor, chat: Chat, pin: Pin, declared: DeclaredPin, now: int
) -> None:
    """As ``edit_pin`` changes a pin: history ``edited``, ``pin.updated``."""
    pin.note, pin.expires_at, pin.must_read = _details(declared)
    await uow.pins.update(pin)
    await pin_changes.record_change(
        uow,
        platform,
        chat,
        pin,
        now,
        PinAction.EDITED,
        DECLARED,
        EventType.PIN_UPDATED,
        note=pin.note,
        expires_at=pin.expires_at,
        must_read=pin.must_read,
    )


async def _add(
    uow: UnitOfWork, actor: Actor, chat: Chat, declared: DeclaredPin, rank: str, now: int
) -> None:
    """As ``pin`` adds a pin: the message's update time advances, history ``added``,
    ``pin.created``."""
    pin = Pin(
        app_id=chat.app_id,
        chat_id=chat.id,
        message_id=declared.message,
        pinned_by=declared.pinned_by,
        pinned_at=now if declared.pinned_at is None else declared.pinned_at,
        rank=rank,
        dialect=chat.dialect,
        expires_at=declared.expires_at,
        note=declared.note,
        must_read=declared.must_read,
    )
    added = await uow.pins.add(pin)
    await uow.messages.touch(chat.app_id, declared.message, now)
    await pin_changes.record_change(
        uow, actor, chat, added, now, PinAction.ADDED, DECLARED, EventType.PIN_CREATED
    )


def positions(current: list[str | None]) -> list[str]:
    """Position keys for a list in its wanted order, given each item's current key (None: a
    new item): the longest run of current keys that already ascends keeps its keys, the other
    items get keys between their neighbours (all are spread out again if one grows long)."""
    present = [key for key in current if key is not None]
    for index, key in ranks.rekey(present).items():
        present[index] = key
    taken = iter(present)
    keys: list[str | None] = [next(taken) if key is not None else None for key in current]
    index = 0
    while index < len(keys):
        if keys[index] is not None:
            index += 1
            continue
        end = index
        while end < len(keys) and keys[end] is None:
            end += 1
        before = keys[index - 1] if index > 0 else None
        after = keys[end] if end < len(keys) else None
        fresh = ranks.between_many(before, after, end - index)
        if any(ranks.too_long(k) for k in fresh):
            return ranks.spread(len(current))
        keys[index:end] = fresh
        index = end
    return [key for key in keys if key is not None]


# --------------------------------------------------------------------------- conversations


async def apply_conversation_pins(
    uow: UnitOfWork,
    app: App,
    spec: DeclaredUser,
    at: Path,
    now: int,
    changes: Counter[str],
) -> None:
    """The user's pinned conversations: exactly the declared ones, in order, each change with
    its ``conversation.changed`` to that user (as ZIM's ConvPinned writes them)."""
    user = await uow.users.get(app.id, spec.id)
    if user is None or not await uow.conversation_pins.lock_owner(app.id, spec.id):
        raise DeclarationRefused(at, f"unknown user '{spec.id}'")  # stored before; defensive
    declared = {p.chat for p in spec.conversation_pins}
    chats = await _pinned_chats(uow, app, spec, at, now)
    cap = app.conversation_pin_cap
    if len(spec.conversation_pins) > cap:
        raise DeclarationRefused(
            (*at, cap), f"a user pins at most {cap} conversations (the app's conversation_pin_cap)"
        )
    expired = await expire_due_within(
        uow, Actor(app, user, SYSTEM_DIALECT, is_system=True), spec.id, now
    )
    if expired:
        changes["conversation_pin.expired"] += expired
    current = await uow.conversation_pins.list_for_user(app.id, spec.id, now)
    changed: dict[str, ConversationPin | None] = {}
    for old in current:
        if old.chat_id not in declared:
            await uow.conversation_pins.remove(app.id, spec.id, old.chat_id)
            changed[old.chat_id] = None
            changes["conversation_pin.removed"] += 1
    kept = {p.chat_id: p for p in current if p.chat_id in declared}
    order = await _place_conversations(uow, app.id, spec, kept, now, changed, changes)
    for chat_id, pinned in changed.items():
        chat = chats.get(chat_id) or await uow.chats.get(app.id, chat_id)
        if chat is not None:
            ref = await conversation_ref(uow, app.id, spec.id, chat)
            actor = Actor(app, user, chat.dialect)
            await emit_change(uow, actor, spec.id, now, ref, chat, pinned, order)


async def _place_conversations(
    uow: UnitOfWork,
    app_id: str,
    spec: DeclaredUser,
    kept: dict[str, ConversationPin],
    now: int,
    changed: dict[str, ConversationPin | None],
    changes: Counter[str],
) -> list[ConversationPin]:
    """Add the declared pins not there yet, move and re-time the others as declared; the
    user's pins in order (``changed``: each pin added or changed, by chat)."""
    order: list[ConversationPin] = []
    declared = spec.conversation_pins
    keys = positions([kept[p.chat].rank if p.chat in kept else None for p in declared])
    for wanted, key in zip(declared, keys, strict=True):
        pin = kept.get(wanted.chat)
        if pin is None:
            pin = ConversationPin(app_id, spec.id, wanted.chat, now, key, wanted.expires_at)
            await uow.conversation_pins.add(pin)
            changes["conversation_pin.added"] += 1
            changed[wanted.chat] = pin
        elif (pin.rank, pin.expires_at) != (key, wanted.expires_at):
            pin.rank, pin.expires_at = key, wanted.expires_at
            await uow.conversation_pins.update(pin)
            changes["conversation_pin.changed"] += 1
            changed[wanted.chat] = pin
        order.append(pin)
    return order


async def _pinned_chats(
    uow: UnitOfWork, app: App, spec: DeclaredUser, at: Path, now: int
) -> dict[str, Chat]:
    """The chats the user's declared pins name: live chats the user is a member of."""
    found: dict[str, Chat] = {}
    for index, declared in enumerate(spec.conversation_pins):
        where = (*at, index)
        chat = await uow.chats.get(app.id, declared.chat)
        if chat is None or chat.dissolved:
            raise DeclarationRefused((*where, "chat"), f"unknown chat '{declared.chat}'")
        if await uow.members.get(app.id, chat.id, spec.id) is None:
            raise DeclarationRefused(
                (*where, "chat"), f"user '{spec.id}' is not a member of chat '{chat.id}'"
            )
        if declared.expires_at is not None and declared.expires_at <= now:
            raise DeclarationRefused((*where, "expires_at"), "expires_at_ms is not in the future")
        found[chat.id] = chat
    return found

"""A user's conversation list as the native API shows it: the app's global pins first, then the
user's own pins in the user's order, then the rest by last activity.

The user's own pins are the same pins ZIM's ConvPinned changes (``conversations.py``): one cap
per app (``App.conversation_pin_cap``), one lock per user, one ``conversation.changed`` event
per change, to that user. Global pins are the app's: only the platform (the API key) sets or
clears them, members cannot unpin them, and their events go to the chat's members.

A new pin, personal or global, goes to the top unless a ``position`` is given, as message pins
do; positions count among the user's own pins (or among the app's global pins).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from enum import StrEnum

from chatpins.core import policies, ranks
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Chat, ChatKind, ConversationPin, ListedConversation
from chatpins.core.errors import (
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Reason,
)
from chatpins.core.ports import UnitOfWork
from chatpins.core.services.conversations import (
    conversation_ref,
    emit_change,
    emit_user_event,
    expire_due_within,
    require_room,
)

MAX_PAGE = 200


class Pinned(StrEnum):
    GLOBAL = "global"
    USER = "user"


@dataclass(frozen=True)
class ConversationItem:
    chat_id: str
    kind: ChatKind
    name: str
    pinned: Pinned | None
    position: int | None  # among the app's global pins, or among the user's own pins
    last_activity_at: int
    pinned_at: int | None
    expires_at: int | None


@dataclass(frozen=True)
class ConversationPage:
    items: list[ConversationItem]
    next_cursor: str | None


@dataclass(frozen=True)
class UserPinOutcome:
    pin: ConversationPin
    position: int
    created: bool
    order: list[ConversationPin]  # the user's pins, in order


def _require_access(actor: Actor, user_id: str) -> None:
    """A user's list is that user's own; the platform may act for anyone in the app."""
    if not actor.is_platform and actor.user.id != user_id:
        raise PermissionDenied(Reason.NOT_YOUR_CONVERSATIONS, user_id)


async def list_conversations(
    deps: Deps, actor: Actor, user_id: str, *, limit: int, cursor: str | None
) -> ConversationPage:
    """One page of the user's conversations (dissolved chats left out), in list order."""
    _require_access(actor, user_id)
    after = _decode_cursor(cursor) if cursor else None
    now = deps.now(actor.app)
    async with deps.uow() as uow:
        if await uow.users.get(actor.app_id, user_id) is None:
            raise NotFound(Reason.USER_NOT_FOUND, user_id)
        rows = await uow.conversation_pins.listing(actor.app_id, user_id, now)
        mine = await uow.conversation_pins.list_for_user(actor.app_id, user_id, now)
        everyone = await uow.global_pins.list(actor.app_id)
    user_places = {p.chat_id: i for i, p in enumerate(mine)}
    global_places = {p.chat_id: i for i, p in enumerate(everyone)}
    keyed = sorted((_sort_key(r), r) for r in rows)
    if after is not None:
        keyed = [(k, r) for k, r in keyed if k > after]
    page = keyed[:limit]
    items = [_item(r, user_places, global_places) for _k, r in page]
    more = len(keyed) > limit
    return ConversationPage(items, _encode_cursor(page[-1][0]) if more else None)


def _sort_key(row: ListedConversation) -> tuple[int, str, int, str]:
    if row.global_rank is not None:
        return (0, row.global_rank, 0, row.chat_id)
    if row.user_rank is not None:
        return (1, row.user_rank, 0, row.chat_id)
    return (2, "", -row.last_activity_at, row.chat_id)


def _item(
    row: ListedConversation, user_places: dict[str, int], global_places: dict[str, int]
) -> ConversationItem:
    pinned, position, pinned_at, expires_at = None, None, None, None
    if row.global_rank is not None:
        pinned, position, pinned_at = (
            Pinned.GLOBAL,
            global_places.get(row.chat_id),
            row.global_pinned_at,
        )
    elif row.user_rank is not None:
        pinned, position = Pinned.USER, user_places.get(row.chat_id)
        pinned_at, expires_at = row.user_pinned_at, row.user_expires_at
    return ConversationItem(
        row.chat_id,
        row.kind,
        row.name,
        pinned,
        position,
        row.last_activity_at,
        pinned_at,
        expires_at,
    )


def _encode_cursor(key: tuple[int, str, int, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, str, int, str]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        group, rank, activity, chat_id = raw
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidArgument(Reason.INVALID_CURSOR, "not a cursor this list gave") from exc
    if not (
        isinstance(group, int)
        and isinstance(rank, str)
        and isinstance(activity, int)
        and isinstance(chat_id, str)
    ):
        raise InvalidArgument(Reason.INVALID_CURSOR, "not a cursor this list gave")
    return (group, rank, activity, chat_id)


async def pin(
    deps: Deps,
    actor: Actor,
    user_id: str,
    chat_id: str,
    *,
    position: int | None = None,
    expires_at: int | None = None,
) -> UserPinOutcome:
    """Pin a chat to the top of the user's list (or at ``position``), until ``expires_at``.

    Pinning a pinned chat keeps its pin time; it moves when a position is given, and its expiry
    becomes the one given (none: no expiry). No change, no event."""
    _require_access(actor, user_id)
    now = deps.now(actor.app)
    if expires_at is not None and expires_at <= now:
        raise InvalidArgument(Reason.INVALID_EXPIRY, "expires_at must be in the future")
    async with deps.uow(write=True) as uow:
        pins = await _locked_pins(uow, actor, user_id, now)
        chat = await _member_chat(uow, actor, user_id, chat_id)
        existing = next((p for p in pins if p.chat_id == chat.id), None)
        others = [p for p in pins if p is not existing]
        if existing is None:
            require_room(actor, pins)
            target = ConversationPin(actor.app_id, user_id, chat.id, now, "", expires_at)
            where = position or 0
        else:
            target = existing
            where = position if position is not None else pins.index(existing)
            if position is None and existing.expires_at == expires_at:
                return UserPinOutcome(existing, where, False, pins)
            target.expires_at = expires_at
        order = await _place(uow, others, target, where, existing is None)
        ref = await conversation_ref(uow, actor.app_id, user_id, chat)
        await emit_change(uow, actor, user_id, now, ref, chat, target, order)
        return UserPinOutcome(target, order.index(target), existing is None, order)


async def unpin(deps: Deps, actor: Actor, user_id: str, chat_id: str) -> list[ConversationPin]:
    """Take a chat off the user's pins (a user who left the chat may still); the pins left."""
    _require_access(actor, user_id)
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        pins = await _locked_pins(uow, actor, user_id, now)
        existing = next((p for p in pins if p.chat_id == chat_id), None)
        if existing is None:
            if any(g.chat_id == chat_id for g in await uow.global_pins.list(actor.app_id)):
                raise PermissionDenied(Reason.GLOBAL_PIN, chat_id)
            raise NotFound(Reason.CONVERSATION_NOT_PINNED, chat_id)
        await uow.conversation_pins.remove(actor.app_id, user_id, chat_id)
        order = [p for p in pins if p is not existing]
        chat = await uow.chats.get(actor.app_id, chat_id)
        if chat is not None:
            ref = await conversation_ref(uow, actor.app_id, user_id, chat)
            await emit_change(uow, actor, user_id, now, ref, chat, None, order)
        return order


async def reorder(
    deps: Deps, actor: Actor, user_id: str, chat_ids: list[str]
) -> list[ConversationPin]:
    """Put the user's pins in the order given: exactly the current pins, each once."""
    _require_access(actor, user_id)
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        pins = await _locked_pins(uow, actor, user_id, now)
        by_chat = {p.chat_id: p for p in pins}
        if len(chat_ids) != len(pins) or set(chat_ids) != set(by_chat):
            raise InvalidArgument(
                Reason.INVALID_ORDER, "chat_ids must list every pinned conversation exactly once"
            )
        wanted = [by_chat[c] for c in chat_ids]
        moved = ranks.rekey([p.rank for p in wanted])
        for index, key in moved.items():
            wanted[index].rank = key
            await uow.conversation_pins.update(wanted[index])
        if moved:
            ids = [p.chat_id for p in wanted]
            await emit_user_event(uow, actor, user_id, now, "reordered", None, ids)
        return wanted


async def _locked_pins(
    uow: UnitOfWork, actor: Actor, user_id: str, now: int
) -> list[ConversationPin]:
    """The user's pins in force, in order, with the user's lock held (one change at a time per
    user, so the cap holds); pins whose time is up are swept first."""
    if not await uow.conversation_pins.lock_owner(actor.app_id, user_id):
        raise NotFound(Reason.USER_NOT_FOUND, user_id)
    await expire_due_within(uow, actor, user_id, now)
    return await uow.conversation_pins.list_for_user(actor.app_id, user_id, now)


async def _member_chat(uow: UnitOfWork, actor: Actor, user_id: str, chat_id: str) -> Chat:
    chat = await uow.chats.get(actor.app_id, chat_id)
    if chat is None:
        raise NotFound(Reason.CHAT_NOT_FOUND, chat_id)
    policies.require_live(chat)
    if await uow.members.get(actor.app_id, chat.id, user_id) is None:
        raise PermissionDenied(Reason.NOT_CHAT_MEMBER, chat_id)
    return chat


async def _place(
    uow: UnitOfWork,
    others: list[ConversationPin],
    target: ConversationPin,
    position: int,
    new: bool,
) -> list[ConversationPin]:
    """Put the user's ``target`` pin at ``position`` and write what changed; the new order."""
    order, respread = ranks.insert(others, target, position)
    for pin_ in respread:
        await uow.conversation_pins.update(pin_)
    if new:
        await uow.conversation_pins.add(target)
    else:
        await uow.conversation_pins.update(target)
    return order

"""Conversations: each user's list of chats, and the chats pinned to its top.

A user's pinned conversations are an ordered list (``rank``), capped per user; a change to it
writes one ``conversation.changed`` event per changed conversation, to that user only, in the
same transaction. Nothing here depends on a dialect (ZIM's ConvPinned is one caller).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Chat, ChatKind, ConversationPin
from chatpins.core.errors import (
    ChatpinsError,
    InvalidArgument,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    Reason,
)
from chatpins.core.events import EventType, emit, user_audience
from chatpins.core.ports import UnitOfWork
from chatpins.core.services.chats import create_within, p2p_spec

MAX_PINNED_CONVERSATIONS = 100  # ZIM 660800048: 100 per user, not configurable
MAX_LISTED_CONVERSATIONS = 1000  # ZIM lists a user's 1000 latest conversations
# ``delivery/frames.py`` imports the name from here.


@dataclass(frozen=True)
class ConversationRef:
    """A conversation as a user names it: the peer's user id, or the group chat's id."""

    kind: ChatKind
    id: str


@dataclass
class PinOutcome:
    ref: ConversationRef
    # Where the batch first names the conversation (an index into the refs given); a later
    # item naming it again is handled, and counted, with that one.
    item: int
    error: ChatpinsError | None = None  # None: done (or nothing to do)


@dataclass
class Conversation:
    ref: ConversationRef
    chat: Chat
    pin: ConversationPin | None

    @property
    def updated_at(self) -> int:
        return self.chat.last_activity_at


@dataclass
class ConversationPage:
    items: list[Conversation]
    total: int
    next_offset: int | None


async def set_pinned(
    deps: Deps, actor: Actor, refs: list[ConversationRef], pinned: bool
) -> list[PinOutcome]:
    """Pin (or unpin) a batch of the actor's conversations, in one transaction.

    Items are handled in the given order, so when the cap is near, the first ones fill the
    remaining slots and the rest fail with ``conversation_pin_limit``. Duplicates count once.
    Pinning a pinned conversation, or unpinning an unpinned one, succeeds and changes nothing
    (the original pin time is kept).

    Returns one outcome per conversation, in the order the batch first names them.
    """
    now = deps.clock.now_ms()
    outcomes: list[PinOutcome] = []
    first: dict[ConversationRef, int] = {}
    for index, ref in enumerate(refs):
        first.setdefault(ref, index)
    async with deps.uow(write=True) as uow:
        # Batches of one user serialise here: the cap is checked against a list nobody else
        # is changing.
        if not await uow.conversation_pins.lock_owner(actor.app_id, actor.user.id):
            raise NotFound(Reason.OPERATOR_NOT_REGISTERED, actor.user.id)
        current = await uow.conversation_pins.list_for_user(actor.app_id, actor.user.id)
        pins = {p.chat_id: p for p in current}
        changed: list[tuple[ConversationRef, Chat]] = []
        for ref, index in first.items():
            try:
                chat = await _resolve(uow, actor, ref, pins, create=pinned, now=now)
                if chat is None or _apply(actor, pins, chat, pinned, now) is None:
                    outcomes.append(PinOutcome(ref, index))
                    continue
                if pinned:
                    await uow.conversation_pins.add(pins[chat.id])
                else:
                    await uow.conversation_pins.remove(actor.app_id, actor.user.id, chat.id)
                changed.append((ref, chat))
                outcomes.append(PinOutcome(ref, index))
            except ChatpinsError as exc:
                outcomes.append(PinOutcome(ref, index, exc))
        order = sorted(pins.values(), key=lambda p: (p.rank, p.chat_id))
        for ref, chat in changed:
            await emit(
                uow,
                actor,
                now,
                EventType.CONVERSATION_CHANGED,
                user_audience(actor.user.id),
                user_id=actor.user.id,
                change="updated",
                conversation=_conversation_payload(ref, chat, pins.get(chat.id)),
                pinned_order=[p.chat_id for p in order],
            )
    return outcomes


def _apply(
    actor: Actor, pins: dict[str, ConversationPin], chat: Chat, pinned: bool, now: int
) -> ConversationPin | None:
    """Change the in-memory pin list; return the pin added or removed, None for a no-op."""
    if not pinned:
        return pins.pop(chat.id, None)
    if chat.id in pins:
        return None
    _require_room(pins)
    # Appended at the end of the user's pinned order.
    rank = max((p.rank for p in pins.values()), default=0) + 1
    pins[chat.id] = ConversationPin(actor.app_id, actor.user.id, chat.id, now, rank)
    return pins[chat.id]


def _require_room(pins: dict[str, ConversationPin]) -> None:
    if len(pins) >= MAX_PINNED_CONVERSATIONS:
        raise LimitExceeded(Reason.CONVERSATION_PIN_LIMIT, str(MAX_PINNED_CONVERSATIONS))


async def _resolve(
    uow: UnitOfWork,
    actor: Actor,
    ref: ConversationRef,
    pins: dict[str, ConversationPin],
    *,
    create: bool,
    now: int,
) -> Chat | None:
    """The chat a conversation names; None when it does not exist and need not be created."""
    if ref.kind is ChatKind.P2P:
        if ref.id == actor.user.id:
            raise InvalidArgument(Reason.SELF_CONVERSATION, ref.id)
        if await uow.users.get(actor.app_id, ref.id) is None:
            raise NotFound(Reason.PEER_NOT_REGISTERED, ref.id)
        chat = await uow.chats.find_p2p(actor.app_id, actor.user.id, ref.id)
        if chat is None and create:
            # A conversation with no messages yet may be pinned: it starts here, unless the
            # pin is bound to fail (a refused item leaves nothing behind).
            _require_room(pins)
            chat = await create_within(uow, actor, p2p_spec(actor, ref.id), now)
        return chat
    chat = await uow.chats.get(actor.app_id, ref.id)
    if chat is None or chat.kind is not ChatKind.GROUP or chat.dissolved:
        raise NotFound(Reason.GROUP_NOT_FOUND, ref.id)
    member = await uow.members.get(actor.app_id, chat.id, actor.user.id)
    # A user who left may still unpin a group it had pinned.
    if member is None and (create or chat.id not in pins):
        raise PermissionDenied(Reason.NOT_GROUP_MEMBER, ref.id)
    return chat


def _conversation_payload(
    ref: ConversationRef, chat: Chat, pin: ConversationPin | None
) -> dict[str, Any]:
    return {
        "chat_id": chat.id,
        "type": "peer" if ref.kind is ChatKind.P2P else "group",
        "conversation_id": ref.id,
        "is_pinned": pin is not None,
        "pinned_at": pin.pinned_at if pin else 0,
        "rank": pin.rank if pin else None,
        "order_key": chat.last_activity_at,
    }


async def list_pinned(deps: Deps, actor: Actor) -> list[ConversationPin]:
    """The actor's pinned conversations, in pin order."""
    async with deps.uow() as uow:
        return await uow.conversation_pins.list_for_user(actor.app_id, actor.user.id)


async def list_conversations(
    deps: Deps, actor: Actor, *, offset: int, limit: int, pinned_first: bool = False
) -> ConversationPage:
    """The actor's conversations (its latest 1000), oldest activity first by default.

    ``pinned_first``: pinned ones first, then the rest, each part newest activity first.
    """
    async with deps.uow() as uow:
        rows, total = await uow.conversation_pins.conversations(
            actor.app_id,
            actor.user.id,
            offset=offset,
            limit=limit,
            pinned_first=pinned_first,
            newest=MAX_LISTED_CONVERSATIONS,
        )
        p2p = [chat.id for chat, _pin in rows if chat.kind is ChatKind.P2P]
        peers = await uow.conversation_pins.p2p_peers(actor.app_id, actor.user.id, p2p)
    items = []
    for chat, pin in rows:
        # A p2p chat is named by the other member (a chat with oneself has none).
        name = peers.get(chat.id, actor.user.id) if chat.kind is ChatKind.P2P else chat.id
        items.append(Conversation(ConversationRef(chat.kind, name), chat, pin))
    end = offset + len(rows)
    return ConversationPage(items, total, end if rows and end < total else None)

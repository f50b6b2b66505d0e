"""Conversations: each user's list of chats, and the chats pinned to its top.

A user's pinned conversations are an ordered list (``rank``), capped per user; a change to it
writes one ``conversation.changed`` event per changed conversation, to that user only, in the
same transaction. Nothing here depends on a dialect (ZIM's ConvPinned is one caller).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from chatpins.core import ranks
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Chat, ChatKind, ConversationPin, JsonObject
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
    now = deps.now(actor.app)
    outcomes: list[PinOutcome] = []
    first: dict[ConversationRef, int] = {}
    for index, ref in enumerate(refs):
        first.setdefault(ref, index)
    async with deps.uow(write=True) as uow:
        # Batches of one user serialise here: the cap is checked against a list nobody else
        # is changing.
        if not await uow.conversation_pins.lock_owner(actor.app_id, actor.user.id):
            raise NotFound(Reason.OPERATOR_NOT_REGISTERED, actor.user.id)
        await expire_due_within(uow, actor, actor.user.id, now)
        current = await uow.conversation_pins.list_for_user(actor.app_id, actor.user.id, now)
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
            await emit_change(uow, actor, actor.user.id, now, ref, chat, pins.get(chat.id), order)
    return outcomes


def _apply(
    actor: Actor, pins: dict[str, ConversationPin], chat: Chat, pinned: bool, now: int
) -> ConversationPin | None:
    """Change the in-memory pin list; return the pin added or removed, None for a no-op."""
    if not pinned:
        return pins.pop(chat.id, None)
    if chat.id in pins:
        return None
    require_room(actor, pins)
    # Appended at the end of the user's pinned order.
    last = max((p.rank for p in pins.values()), default=None)
    pins[chat.id] = ConversationPin(
        actor.app_id, actor.user.id, chat.id, now, ranks.between(last, None)
    )
    return pins[chat.id]


def require_room(actor: Actor, pins: Collection[object]) -> None:
    """Refuse one more pin when the user holds the app's cap (ZIM 660800048: 100)."""
    cap = actor.app.conversation_pin_cap
    if len(pins) >= cap:
        raise LimitExceeded(Reason.CONVERSATION_PIN_LIMIT, str(cap))


async def expire_due_within(uow: UnitOfWork, actor: Actor, user_id: str, now: int) -> int:
    """Remove the user's conversation pins whose time is up, each with its
    ``conversation.changed`` event (``change: "expired"``); how many. Run under the user's lock
    (``lock_owner``), so the sweeper and a pin call racing for the same pin remove it once."""
    due = await uow.conversation_pins.due_for_user(actor.app_id, user_id, now)
    if not due:
        return 0
    for pin in due:
        await uow.conversation_pins.remove(pin.app_id, pin.user_id, pin.chat_id)
    order = await uow.conversation_pins.list_for_user(actor.app_id, user_id, now)
    for pin in due:
        chat = await uow.chats.get(actor.app_id, pin.chat_id)
        if chat is None:
            continue
        ref = await conversation_ref(uow, actor.app_id, user_id, chat)
        await emit_change(uow, actor, user_id, now, ref, chat, None, order, change="expired")
    return len(due)


async def conversation_ref(
    uow: UnitOfWork, app_id: str, user_id: str, chat: Chat
) -> ConversationRef:
    """How ``user_id`` names the chat: the peer's id for a one-on-one chat, else its id."""
    if chat.kind is not ChatKind.P2P:
        return ConversationRef(chat.kind, chat.id)
    peers = await uow.conversation_pins.p2p_peers(app_id, user_id, [chat.id])
    return ConversationRef(chat.kind, peers.get(chat.id, user_id))


async def emit_change(
    uow: UnitOfWork,
    actor: Actor,
    user_id: str,
    now: int,
    ref: ConversationRef,
    chat: Chat,
    pin: ConversationPin | None,
    order: list[ConversationPin],
    *,
    change: str = "updated",
) -> None:
    """``conversation.changed`` to ``user_id`` alone: the conversation as it is now and the
    user's whole pinned order."""
    ids = [p.chat_id for p in order]
    conversation = {
        "chat_id": chat.id,
        "type": "peer" if ref.kind is ChatKind.P2P else "group",
        "conversation_id": ref.id,
        "is_pinned": pin is not None,
        "pinned_at": pin.pinned_at if pin else 0,
        "rank": pin.rank if pin else None,
        "position": ids.index(chat.id) if pin and chat.id in ids else None,
        "expires_at": pin.expires_at if pin else None,
        "order_key": chat.last_activity_at,
    }
    await emit_user_event(uow, actor, user_id, now, change, conversation, ids)


async def emit_user_event(
    uow: UnitOfWork,
    actor: Actor,
    user_id: str,
    now: int,
    change: str,
    conversation: JsonObject | None,
    pinned_order: list[str],
) -> None:
    """``conversation.changed`` of one user's own list (``scope: "user"``); ``conversation``
    is None for a change to the order alone."""
    await emit(
        uow,
        actor,
        now,
        EventType.CONVERSATION_CHANGED,
        user_audience(user_id),
        user_id=user_id,
        scope="user",
        change=change,
        conversation=conversation,
        pinned_order=pinned_order,
    )


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
            require_room(actor, pins)
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


async def list_pinned(deps: Deps, actor: Actor) -> list[ConversationPin]:
    """The actor's pinned conversations, in pin order."""
    async with deps.uow() as uow:
        return await uow.conversation_pins.list_for_user(
            actor.app_id, actor.user.id, deps.now(actor.app)
        )


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
            now=deps.now(actor.app),
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

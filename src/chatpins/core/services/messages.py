"""Messages: send, read, recall, and their lifecycle (self-destruct, restricted audience)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chatpins.core import policies
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Chat, ChatKind, Member, Message, Role
from chatpins.core.errors import (
    Gone,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RateLimited,
    Reason,
    Unsupported,
)
from chatpins.core.events import EventType, chat_audience, emit
from chatpins.core.ports import UnitOfWork
from chatpins.core.services.chats import load_chat, require_member
from chatpins.core.services.pins import unpin_within

SEND_KEY_WINDOW_MS = 3600 * 1000  # Feishu: one message per uuid within an hour
# Message types that cannot be recalled, pinned or otherwise acted on (Feishu 230054).
UNACTIONABLE_TYPES = frozenset({"system", "hongbao", "video_chat"})
P2P_ONLY_TYPES = frozenset({"system"})


MAX_PAGE = 100


@dataclass
class NewMessage:
    id: str
    type: str
    content: str
    send_key: str | None = None
    # Feishu limits messages per second into one chat (230020); IMKit documents no such limit.
    chat_rate_limited: bool = True


@dataclass
class MessagePage:
    messages: list[Message]
    total: int
    pinned_ids: set[str]


async def send_message(deps: Deps, actor: Actor, chat_id: str, new: NewMessage) -> Message:
    async def find_chat(uow: UnitOfWork, now: int) -> Chat:
        return await load_chat(uow, actor, chat_id)

    return await send_into(deps, actor, find_chat, new)


ChatFinder = Callable[[UnitOfWork, int], Awaitable[Chat]]


async def send_into(deps: Deps, actor: Actor, find_chat: ChatFinder, new: NewMessage) -> Message:
    """A send use case, in one unit of work: the message an earlier send with the same key
    stored (within the hour), else a new one in the chat ``find_chat(uow, now)`` finds (or
    starts) when the actor may send there (``_send_within``)."""
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        if new.send_key:
            earlier = await uow.messages.find_by_send_key(
                actor.app_id, new.send_key, now - SEND_KEY_WINDOW_MS
            )
            if earlier is not None:
                return earlier
        chat = await find_chat(uow, now)
        return await _send_within(deps, uow, actor, chat, new, now)


async def _send_within(
    deps: Deps, uow: UnitOfWork, actor: Actor, chat: Chat, new: NewMessage, now: int
) -> Message:
    """Check that the actor may send into the chat now, then store the message, inside an
    open unit of work: what every send use case does once it has found its chat."""
    policies.require_live(chat)
    policies.require_app_capabilities(actor)
    await policies.require_app_bot(uow, actor, chat)
    if await policies.membership(uow, actor, chat) is None:
        raise PermissionDenied(Reason.MAY_NOT_SEND)
    await policies.require_available(uow, actor, chat)
    if new.type in P2P_ONLY_TYPES and chat.kind is not ChatKind.P2P:
        raise InvalidArgument(Reason.P2P_ONLY_MESSAGE_TYPE, new.type)
    # The limiter is not transactional: it is hit last of the checks, so a refused check does
    # not spend the chat's budget.
    if new.chat_rate_limited and actor.app.message_rate_per_second:
        wait = await deps.hit_limit(
            actor.app, f"send:{actor.app_id}:{chat.id}", actor.app.message_rate_per_second, 1.0
        )
        if wait is not None:
            raise RateLimited(Reason.CHAT_MESSAGE_RATE, limit=actor.app.message_rate_per_second)
    return await write_within(uow, actor, chat, new, now)


async def write_within(
    uow: UnitOfWork, actor: Actor, chat: Chat, new: NewMessage, now: int
) -> Message:
    """Store a message from the actor inside an open unit of work (sends, system messages)."""
    message = Message(
        app_id=actor.app_id,
        id=new.id,
        chat_id=chat.id,
        sender_id=actor.user.id,
        type=new.type,
        content=new.content,
        created_at=now,
        updated_at=now,
        send_key=new.send_key,
    )
    await uow.messages.add(message)
    await uow.chats.touch(actor.app_id, chat.id, now)
    await emit(
        uow,
        actor,
        now,
        EventType.MESSAGE_SENT,
        chat_audience(chat.id),
        chat_id=chat.id,
        chat_type=chat.kind.value,
        message_id=message.id,
        type=message.type,
        content=message.content,
    )
    return message


async def edit_message(
    deps: Deps, actor: Actor, chat_id: str, message_id: str, type_: str, content: str
) -> tuple[Message, bool]:
    """The sender edits a message of the chat; returns it and whether it is pinned."""
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        chat = await load_chat(uow, actor, chat_id, for_update=True)
        policies.require_live(chat)
        if await policies.membership(uow, actor, chat) is None:
            raise PermissionDenied(Reason.MAY_NOT_SEND)
        message = await load_message(uow, actor, now, message_id)
        if message.chat_id != chat.id:
            raise NotFound(Reason.MESSAGE_NOT_FOUND, message_id)
        if message.sender_id != actor.user.id:
            raise PermissionDenied(Reason.MAY_NOT_EDIT)
        if message.recalled:
            raise Gone(Reason.MESSAGE_RECALLED)
        message.type, message.content, message.updated_at = type_, content, now
        await uow.messages.update(message)
        await emit(
            uow,
            actor,
            now,
            EventType.MESSAGE_EDITED,
            chat_audience(chat.id),
            chat_id=chat.id,
            message_id=message.id,
        )
        pin = await uow.pins.get_by_message(actor.app_id, message.id)
        pinned = pin is not None and pin.in_force(now)
    return message, pinned


async def list_chat_messages(
    deps: Deps,
    actor: Actor,
    chat_id: str,
    *,
    before_id: str | None = None,
    after_id: str | None = None,
    since: int | None = None,
    time_field: str = "created_at",
    descending: bool = True,
    limit: int = 20,
) -> MessagePage:
    """A chat's messages around optional cursor messages, with which of them are pinned."""
    if time_field not in ("created_at", "updated_at"):
        raise InvalidArgument(Reason.INVALID_TIME_FIELD, time_field)
    limit = max(1, min(limit, MAX_PAGE))
    now = deps.now(actor.app)
    async with deps.uow() as uow:
        chat = await load_chat(uow, actor, chat_id)
        member = await require_member(uow, actor, chat)
        cursors = []
        for cursor_id in (before_id, after_id):
            cursor = None
            if cursor_id is not None:
                cursor = await load_message(uow, actor, now, cursor_id)
                if cursor.chat_id != chat.id:
                    raise NotFound(Reason.MESSAGE_NOT_FOUND, cursor_id)
            cursors.append(cursor)
        page, total = await visible_page(
            uow,
            actor,
            member,
            chat.id,
            before=cursors[0],
            after=cursors[1],
            since=since,
            time_field=time_field,
            descending=descending,
            limit=limit,
            now=now,
        )
        pinned = await uow.pins.pinned_among(actor.app_id, [m.id for m in page], now)
    return MessagePage(page, total, pinned)


async def visible_page(
    uow: UnitOfWork,
    actor: Actor,
    member: Member | None,
    chat_id: str,
    *,
    before: Message | None = None,
    after: Message | None = None,
    since: int | None = None,
    time_field: str = "created_at",
    descending: bool = True,
    limit: int,
    now: int,
) -> tuple[list[Message], int]:
    """Up to ``limit`` of the chat's messages the actor may see (``policies.can_see``), from
    the cursors in the given order, and the storage's total (all messages matching ``since``).

    Hidden messages are read past rather than left as holes: a page comes back short only
    where the chat ends, which is where clients stop paging (a page emptied by restricted
    messages would end an IMKit client's scroll early).
    """
    found: list[Message] = []
    batch = limit
    while True:
        raw, total = await uow.messages.page(
            actor.app_id,
            chat_id,
            before=before,
            after=after,
            since=since,
            time_field=time_field,
            descending=descending,
            limit=batch,
            now=now,
        )
        found += [m for m in raw if policies.can_see(m, member, actor)]
        # A non-member sees nothing: no point reading on.
        if len(found) >= limit or len(raw) < batch or member is None:
            return found[:limit], total
        if descending:
            before = raw[-1]
        else:
            after = raw[-1]
        batch = min(batch * 2, MAX_PAGE)


async def get_message(deps: Deps, actor: Actor, message_id: str) -> Message:
    async with deps.uow() as uow:
        message = await load_message(uow, actor, deps.now(actor.app), message_id)
        chat = await load_chat(uow, actor, message.chat_id)
        policies.require_app_capabilities(actor)
        await policies.require_app_bot(uow, actor, chat)
        await policies.require_available(uow, actor, chat)
        await require_visible(uow, actor, chat, message)
    return message


async def recall_message(
    deps: Deps, actor: Actor, message_id: str, *, chat_id: str | None = None
) -> Message:
    """Recall a message; its pin, if any, goes with it. Recalling twice succeeds.

    ``chat_id``: the chat the caller names the message in (IMKit's room path); a message of
    another chat is not found there. Returns the message as recalled.
    """
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        message = await load_message(uow, actor, now, message_id)
        chat = await load_chat(uow, actor, message.chat_id, for_update=True)
        policies.require_app_capabilities(actor)
        await policies.require_app_bot(uow, actor, chat)
        await policies.require_available(uow, actor, chat)
        member = await require_visible(uow, actor, chat, message)
        if chat_id is not None and chat.id != chat_id:
            raise NotFound(Reason.MESSAGE_NOT_FOUND, message_id)
        if message.recalled:
            return message
        policies.require_live(chat)
        if message.type in UNACTIONABLE_TYPES:
            raise Unsupported(Reason.MESSAGE_TYPE, message.type)
        if message.sender_id != actor.user.id and not policies.is_manager(chat, member):
            raise PermissionDenied(Reason.MAY_NOT_RECALL)
        message.recalled_at = now
        message.updated_at = now
        await uow.messages.update(message)
        await unpin_within(uow, actor, chat, message.id, now, reason="message_recalled")
        await emit(
            uow,
            actor,
            now,
            EventType.MESSAGE_RECALLED,
            chat_audience(chat.id),
            chat_id=chat.id,
            message_id=message.id,
            sender_id=message.sender_id,
            recalled_by=_recalled_by(actor, member, message),
        )
    return message


def _recalled_by(actor: Actor, member: Member | None, message: Message) -> str:
    """Who recalled, relative to the message: its sender, the chat's owner or an admin, or
    the platform (Feishu's ``recall_type``)."""
    if message.sender_id == actor.user.id:
        return "sender"
    if actor.is_platform:
        return "platform"
    return "owner" if member is not None and member.role is Role.OWNER else "admin"


async def set_message_lifecycle(
    deps: Deps,
    app_id: str,
    message_id: str,
    *,
    expires_at: int | None = None,
    visible_to: list[str] | None = None,
) -> Message:
    """Native-only: schedule a self-destruct or restrict who sees a message.

    No vendor API sets these, yet Feishu's pin API has errors for both (230111, 230050).
    """
    async with deps.uow(write=True) as uow:
        app = await uow.apps.get(app_id)
        message = await uow.messages.get(app_id, message_id)
        if app is None or message is None:
            raise NotFound(Reason.MESSAGE_NOT_FOUND, message_id)
        if expires_at is not None:
            message.expires_at = expires_at
        if visible_to is not None:
            message.visible_to = visible_to
        message.updated_at = deps.now(app)
        await uow.messages.update(message)
    return message


async def load_message(uow: UnitOfWork, actor: Actor, now: int, message_id: str) -> Message:
    message = await uow.messages.get(actor.app_id, message_id)
    # A self-destructed message is gone, as if it had never existed.
    if message is None or message.is_expired(now):
        raise NotFound(Reason.MESSAGE_NOT_FOUND, message_id)
    return message


async def require_visible(
    uow: UnitOfWork, actor: Actor, chat: Chat, message: Message
) -> Member | None:
    member = await policies.membership(uow, actor, chat)
    if not policies.can_see(message, member, actor):
        raise PermissionDenied(Reason.MESSAGE_INVISIBLE)
    return member

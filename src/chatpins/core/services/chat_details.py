"""Read models of a chat with everything a dialect shows next to it: members and their user
profiles, the pinned messages, the last message. One transaction per read."""

from __future__ import annotations

from dataclasses import dataclass

from chatpins.core import policies
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Chat, Member, Message, User
from chatpins.core.ports import UnitOfWork
from chatpins.core.services.chats import load_chat, require_member
from chatpins.core.services.messages import visible_page

MAX_PAGE = 100


@dataclass
class ChatDetail:
    chat: Chat
    members: list[Member]
    viewer: Member | None  # the actor's membership (the platform's is an owner's)
    users: dict[str, User]  # members, senders of the pinned and last messages
    pinned: list[Message]  # oldest pin first
    last_message: Message | None


async def get_chat_detail(
    deps: Deps, actor: Actor, chat_id: str, *, members_only: bool = True
) -> ChatDetail:
    """One chat, for its members (and the platform) only; ``members_only=False`` for the
    reply to a change the actor just made (a member who left still gets the chat back)."""
    async with deps.uow() as uow:
        chat = await load_chat(uow, actor, chat_id)
        policies.require_live(chat)
        if members_only:
            viewer: Member | None = await require_member(uow, actor, chat)
        else:
            viewer = await policies.membership(uow, actor, chat)
        return await _detail(uow, actor, chat, viewer, deps.now(actor.app))


async def list_chat_details(
    deps: Deps, actor: Actor, *, offset: int = 0, limit: int = 20
) -> tuple[list[ChatDetail], int]:
    """The actor's chats (the platform: every chat of the app), latest activity first."""
    limit = max(1, min(limit, MAX_PAGE))
    now = deps.now(actor.app)
    async with deps.uow() as uow:
        user_id = None if actor.is_platform else actor.user.id
        chats, total = await uow.chats.list_for_member(
            actor.app_id, user_id, offset=max(0, offset), limit=limit
        )
        details = []
        for chat in chats:
            viewer = await policies.membership(uow, actor, chat)
            details.append(await _detail(uow, actor, chat, viewer, now))
    return details, total


PINS_SHOWN = 10


async def _detail(
    uow: UnitOfWork, actor: Actor, chat: Chat, viewer: Member | None, now: int
) -> ChatDetail:
    """The chat as the actor may see it: pinned and last messages pass ``policies.can_see``
    like every other read, so a pin of a message restricted from the viewer is not shown."""
    members = await uow.members.list(actor.app_id, chat.id)
    pinned: list[Message] = []
    # The newest few pins are enough to show a room's pinned message (IMKit shows one); a
    # Feishu chat read through IMKit may hold thousands.
    for pin in await uow.pins.by_time(
        actor.app_id, chat.id, now=now, limit=PINS_SHOWN, newest=True
    ):
        message = await uow.messages.get(actor.app_id, pin.message_id)
        if message is None or message.recalled or message.is_expired(now):
            continue
        if policies.can_see(message, viewer, actor):
            pinned.insert(0, message)
    last = await _last_visible(uow, actor, chat, viewer, now)
    wanted = {m.user_id for m in members} | {m.sender_id for m in pinned}
    if last is not None:
        wanted.add(last.sender_id)
    users = {u.id: u for u in await uow.users.get_many(actor.app_id, sorted(wanted))}
    return ChatDetail(chat, members, viewer, users, pinned, last)


async def _last_visible(
    uow: UnitOfWork, actor: Actor, chat: Chat, viewer: Member | None, now: int
) -> Message | None:
    """The newest message the viewer may see: what its own message list shows first."""
    if viewer is None:
        return None
    last = await uow.messages.last_in_chat(actor.app_id, chat.id, now)
    if last is None or policies.can_see(last, viewer, actor):
        return last
    older, _total = await visible_page(uow, actor, viewer, chat.id, before=last, limit=1, now=now)
    return older[0] if older else None

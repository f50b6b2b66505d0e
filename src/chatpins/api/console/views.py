"""What each console page shows, read through the same core use cases as the native API, as the
app's platform (the admin acts for the whole app)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatpins.api.native import render
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import App, Chat, Member, Message, PinChange, User
from chatpins.core.services import (
    apps,
    chat_details,
    messages,
    pin_lists,
    pinned_conversations,
    users,
)

NATIVE = "native"
MESSAGES_SHOWN = 50
HISTORY_SHOWN = 50
CHATS_SHOWN = 100


@dataclass(frozen=True)
class AppPage:
    app: App
    users: list[User]
    chats: list[chat_details.ChatDetail]
    chat_total: int


@dataclass(frozen=True)
class PinsView:
    """A chat's pins in order, as the native list shows them, with each message's text."""

    chat_id: str
    version: int
    pins: list[dict[str, Any]]
    now_ms: int


@dataclass(frozen=True)
class MessagesView:
    chat_id: str
    messages: list[Message]  # newest first
    pinned_ids: set[str]


@dataclass(frozen=True)
class HistoryView:
    chat_id: str
    changes: list[PinChange]  # newest first
    pinned_ids: set[str]  # what a restore cannot bring back (pinned already)


@dataclass(frozen=True)
class ChatPage:
    app: App
    chat: Chat
    members: list[Member]
    users: dict[str, User]
    pins: PinsView
    messages: MessagesView
    history: HistoryView


async def platform(deps: Deps, app_id: str) -> Actor:
    return await apps.platform_of(deps, app_id, NATIVE)


async def app_page(deps: Deps, app_id: str) -> AppPage:
    actor = await platform(deps, app_id)
    chats, total = await chat_details.list_chat_details(deps, actor, limit=CHATS_SHOWN)
    return AppPage(actor.app, await users.list_users(deps, app_id), chats, total)


async def pins_view(deps: Deps, actor: Actor, chat_id: str) -> PinsView:
    listed, by_id = await pin_lists.list_with_messages(deps, actor, chat_id)
    shown = render.pins(listed)
    for item in shown:
        message = by_id.get(item["message_id"])
        item["text"] = render.text_of(message) if message is not None else ""
        item["sender"] = message.sender_id if message is not None else ""
    return PinsView(chat_id, listed.version, shown, deps.now(actor.app))


async def messages_view(deps: Deps, actor: Actor, chat_id: str) -> MessagesView:
    page = await messages.list_chat_messages(deps, actor, chat_id, limit=MESSAGES_SHOWN)
    return MessagesView(chat_id, page.messages, page.pinned_ids)


async def history_view(
    deps: Deps, actor: Actor, chat_id: str, pinned_ids: set[str] | None = None
) -> HistoryView:
    """``pinned_ids``: the chat's pins when the caller has just read them (else read here)."""
    changes = await pin_lists.latest_history(deps, actor, chat_id, limit=HISTORY_SHOWN)
    if pinned_ids is None:
        listed = await pin_lists.list_in_order(deps, actor, chat_id)
        pinned_ids = {p.message_id for p in listed.pins}
    return HistoryView(chat_id, changes, pinned_ids)


async def chat_page(deps: Deps, app_id: str, chat_id: str) -> ChatPage:
    actor = await platform(deps, app_id)
    detail = await chat_details.get_chat_detail(deps, actor, chat_id)
    pins = await pins_view(deps, actor, chat_id)
    pinned_ids = {item["message_id"] for item in pins.pins}
    return ChatPage(
        app=actor.app,
        chat=detail.chat,
        members=detail.members,
        users=detail.users,
        pins=pins,
        messages=await messages_view(deps, actor, chat_id),
        history=await history_view(deps, actor, chat_id, pinned_ids),
    )


@dataclass(frozen=True)
class UserPage:
    app: App
    user: User
    conversations: list[pinned_conversations.ConversationItem]  # global pins, own pins, rest
    more: bool
    now_ms: int


async def user_page(deps: Deps, app_id: str, user_id: str) -> UserPage:
    """The user's conversation list as the user's own clients see it: the app's global pins
    first, then the user's pins in their order, then the rest by latest activity."""
    actor = await platform(deps, app_id)
    listed = await pinned_conversations.list_conversations(
        deps, actor, user_id, limit=pinned_conversations.MAX_PAGE, cursor=None
    )
    user = (await users.get_users(deps, app_id, [user_id]))[user_id]
    return UserPage(
        actor.app, user, listed.items, listed.next_cursor is not None, deps.now(actor.app)
    )

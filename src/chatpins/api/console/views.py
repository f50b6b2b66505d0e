"""What each console page shows, read through the same core use cases as the native API, as the
app's platform (the admin acts for the whole app)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatpins.api.native import render
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import App, Chat, Member, Message, PinChange, User
from chatpins.core.errors import ChatpinsError
from chatpins.core.services import apps, chat_details, messages, pin_lists, users

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
class ChatPage:
    app: App
    chat: Chat
    members: list[Member]
    users: dict[str, User]
    pins: PinsView
    messages: list[Message]
    pinned_ids: set[str]
    history: list[PinChange]


async def platform(deps: Deps, app_id: str) -> Actor:
    return await apps.platform_of(deps, app_id, NATIVE)


async def app_page(deps: Deps, app_id: str) -> AppPage:
    actor = await platform(deps, app_id)
    chats, total = await chat_details.list_chat_details(deps, actor, limit=CHATS_SHOWN)
    return AppPage(actor.app, await users.list_users(deps, app_id), chats, total)


async def pins_view(deps: Deps, actor: Actor, chat_id: str) -> PinsView:
    listed = await pin_lists.list_in_order(deps, actor, chat_id)
    shown = render.pins(listed)
    for item in shown:
        try:
            message = await messages.get_message(deps, actor, item["message_id"])
        except ChatpinsError:  # gone between the two reads: the list shows the pin anyway
            item["text"], item["sender"] = "", ""
            continue
        item["text"], item["sender"] = render.text_of(message), message.sender_id
    return PinsView(chat_id, listed.version, shown, deps.now(actor.app))


async def chat_page(deps: Deps, app_id: str, chat_id: str) -> ChatPage:
    actor = await platform(deps, app_id)
    detail = await chat_details.get_chat_detail(deps, actor, chat_id)
    page = await messages.list_chat_messages(deps, actor, chat_id, limit=MESSAGES_SHOWN)
    history, _next = await pin_lists.history(deps, actor, chat_id, limit=HISTORY_SHOWN)
    return ChatPage(
        app=actor.app,
        chat=detail.chat,
        members=detail.members,
        users=detail.users,
        pins=await pins_view(deps, actor, chat_id),
        messages=page.messages,
        pinned_ids=page.pinned_ids,
        history=history,
    )

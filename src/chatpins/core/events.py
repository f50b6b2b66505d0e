"""Outbox helper: every change writes its event in the transaction that makes it.

An event carries what a subscriber needs to act without another read: the chat, the message,
the actor (and whether it is a bot), the time, and what changed. Each has a stable id derived
from its app and ``seq``, which deliveries repeat so receivers can de-duplicate.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

from chatpins.core.context import Actor
from chatpins.core.entities import App, Chat, Event, User
from chatpins.core.ports import UnitOfWork


class EventType(StrEnum):
    """Every event the outbox holds; members equal their strings (the wire and the stored rows
    use them). Webhooks subscribe by these names (``delivery/webhooks.py`` lists the enum)."""

    CHAT_CREATED = "chat.created"
    CHAT_UPDATED = "chat.updated"
    CHAT_DISSOLVED = "chat.dissolved"
    CHAT_ADMINS_CHANGED = "chat.admins_changed"
    MEMBER_ADDED = "member.added"
    MEMBER_REMOVED = "member.removed"
    MESSAGE_SENT = "message.sent"
    MESSAGE_EDITED = "message.edited"
    MESSAGE_RECALLED = "message.recalled"
    PIN_CREATED = "pin.created"
    PIN_DELETED = "pin.deleted"
    PIN_REORDERED = "pin.reordered"
    PIN_UPDATED = "pin.updated"
    PIN_ACKED = "pin.acked"
    CONVERSATION_CHANGED = "conversation.changed"
    TOKEN_REVOKED = "token.revoked"


# Addressed to the app itself: its own streams and webhooks see it, no user's view does.
APP_AUDIENCE = "app"


async def emit(
    uow: UnitOfWork, actor: Actor, at: int, type_: EventType, audience: str, **payload: Any
) -> int:
    payload = {
        "actor": actor.actor_id,
        "actor_is_bot": actor.user.is_bot and not actor.is_system,
        "dialect": actor.dialect,
        "at": at,
        **payload,
    }
    return await uow.events.append(actor.app_id, Event(type_.value, payload, audience), at)


async def emit_members(
    uow: UnitOfWork, actor: Actor, at: int, type_: EventType, chat: Chat, user_ids: list[str]
) -> int:
    """``member.added`` / ``member.removed`` with each user's name, so a subscriber (or a
    vendor-shaped push) can show who came or left without looking them up."""
    found = {u.id: u for u in await uow.users.get_many(actor.app_id, user_ids)}
    users = [_brief(uid, found.get(uid)) for uid in user_ids]
    return await emit(
        uow,
        actor,
        at,
        type_,
        chat_audience(chat.id),
        chat_id=chat.id,
        chat_name=chat.name,
        chat_type=chat.kind.value,
        user_ids=user_ids,
        users=users,
    )


async def emit_admins_changed(
    uow: UnitOfWork, actor: Actor, at: int, chat: Chat, admin_ids: list[str]
) -> int:
    """``chat.admins_changed`` with the chat's admins after the change."""
    return await emit(
        uow,
        actor,
        at,
        EventType.CHAT_ADMINS_CHANGED,
        chat_audience(chat.id),
        chat_id=chat.id,
        admins=admin_ids,
    )


async def emit_token_revoked(
    uow: UnitOfWork,
    app: App,
    at: int,
    *,
    user_id: str,
    kind: str,
    dialect: str,
    count: int,
    reason: str,
) -> int:
    """``token.revoked``: ``count`` of a user's tokens stopped working before their expiry
    (``reason``: revoked, or replaced by a newly bound one). It says whose and which kind, never
    the token or its hash: a stream opened with one of that user's tokens, on any instance,
    learns of it through the ordinary feed and checks its own token again. The platform acts
    as the app's bot, as every IMKit platform call does."""
    payload = {
        "actor": app.bot_user_id,
        "actor_is_bot": True,
        "dialect": dialect,
        "at": at,
        "user_id": user_id,
        "token_kind": kind,
        "token_dialect": dialect,
        "revoked": count,
        "reason": reason,
    }
    return await uow.events.append(
        app.id, Event(EventType.TOKEN_REVOKED.value, payload, APP_AUDIENCE), at
    )


def _brief(user_id: str, user: User | None) -> dict[str, Any]:
    """Who a member event names (a user unknown to the app reads as nameless, not a bot)."""
    return {"id": user_id, "name": user.name if user else "", "is_bot": bool(user and user.is_bot)}


def chat_audience(chat_id: str) -> str:
    return f"chat:{chat_id}"


def user_audience(user_id: str) -> str:
    return f"user:{user_id}"


def event_id(app_id: str, seq: int) -> str:
    """The event's stable id (32 hex, the shape of Feishu's ``event_id``): the same on every
    delivery and every stream, unique across apps."""
    return hashlib.sha256(f"{app_id}\x00{seq}".encode()).hexdigest()[:32]

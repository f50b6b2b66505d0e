"""Applying one declared chat (``declared_state``): the chat and its rules, its members and
their roles, its messages, then its pins (``declared_pins``).

A new chat is created as ``create_chat`` creates one (``chat.created``, the creating dialect's
limits), by its creator: the declared one, else its owner, else the app's bot. A new message is
written as a send writes it, by its sender, at its declared time (its ``message.sent`` carries
that time). Every other change is made by the app's bot acting as the platform.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from chatpins.core.context import Actor
from chatpins.core.entities import App, Chat, Member, Message, Role, User
from chatpins.core.events import (
    EventType,
    chat_audience,
    emit,
    emit_admins_changed,
    emit_members,
)
from chatpins.core.ports import UnitOfWork
from chatpins.core.services import declared_pins
from chatpins.core.services.chats import NewChat, create_within, store_update_within
from chatpins.core.services.declared_state import (
    DeclarationRefused,
    DeclaredChat,
    DeclaredMessage,
    Path,
)
from chatpins.core.services.messages import NewMessage, write_within
from chatpins.core.services.users import new_user


async def apply_chat(
    uow: UnitOfWork,
    app: App,
    spec: DeclaredChat,
    at: Path,
    now: int,
    changes: Counter[str],
) -> Chat:
    users = await _users(uow, app, spec, at)
    creator = spec.creator or spec.owner or app.bot_user_id
    chat = await uow.chats.get(app.id, spec.id, for_update=True)
    if chat is None:
        actor = Actor(app, users[creator], spec.dialect)
        chat = await create_within(uow, actor, _new_chat(spec), now)
        changes["chat.created"] += 1
        _require_admin_cap(chat, spec, at)
    else:
        platform = Actor(app, users[app.bot_user_id], spec.dialect, is_platform=True)
        _require_same_kind(chat, spec, at)
        await _apply_members(uow, platform, chat, spec, at, now, changes)
        wanted = _declared(chat, spec, creator)
        if wanted != chat:
            chat = await store_update_within(uow, platform, chat, wanted, now)
            changes["chat.updated"] += 1
    for index, message in enumerate(spec.messages):
        where = (*at, "messages", index)
        await _apply_message(
            uow, Actor(app, users[message.sender], spec.dialect), chat, message, where, now, changes
        )
    await declared_pins.apply_pins(uow, app, users, chat, spec, at, now, changes)
    return chat


async def _users(uow: UnitOfWork, app: App, spec: DeclaredChat, at: Path) -> dict[str, User]:
    """Every user the chat's declaration names, by id; an unknown one is refused where named
    (declared users of the app are stored by now)."""
    named: list[tuple[Path, str]] = []
    if spec.creator is not None:
        named.append(((*at, "creator"), spec.creator))
    named += [((*at, "members", i, "user"), m.user) for i, m in enumerate(spec.members)]
    named += [((*at, "messages", i, "sender"), m.sender) for i, m in enumerate(spec.messages)]
    named += [((*at, "pins", i, "pinned_by"), p.pinned_by) for i, p in enumerate(spec.pins)]
    wanted = list(dict.fromkeys([app.bot_user_id, *(user_id for _at, user_id in named)]))
    found = {u.id: u for u in await uow.users.get_many(app.id, wanted)}
    for where, user_id in named:
        if user_id not in found:
            raise DeclarationRefused(where, f"unknown user '{user_id}'")
    # The app's bot acts for the platform; an app made before bots were users has none stored.
    found.setdefault(app.bot_user_id, new_user(app.id, app.bot_user_id, "", 0, is_bot=True))
    return found


def _new_chat(spec: DeclaredChat) -> NewChat:
    owner = spec.owner
    return NewChat(
        id=spec.id,
        kind=spec.kind,
        owner_id=owner,
        ownerless=owner is None,
        creator_joins=False,  # the declared members are all the members
        member_ids=[m.user for m in spec.members],
        admin_ids=[m.user for m in spec.members if m.role is Role.ADMIN],
        transfer_role=spec.rules.transfer_role,
        **_chat_fields(spec),
    )


def _declared(chat: Chat, spec: DeclaredChat, creator: str) -> Chat:
    """The chat as declared: what a declaration holds replaced, the rest (its pin version, its
    limits, its activity, who may hand it over: a file does not say) as it is."""
    return dataclasses.replace(chat, owner_id=spec.owner, creator_id=creator, **_chat_fields(spec))


def _chat_fields(spec: DeclaredChat) -> dict[str, Any]:
    """What a declaration sets on a chat, new or not, under the names ``Chat`` and ``NewChat``
    both give them."""
    rules = spec.rules
    return {
        "name": spec.name,
        "description": spec.description,
        "pin_rights": rules.pin_rights,
        "max_pins": rules.max_pins,
        "overflow": rules.overflow,
        "edit_permission": rules.edit_permission,
        "add_member_permission": rules.add_member_permission,
        "attributes": dict(spec.attributes),
    }


def _require_same_kind(chat: Chat, spec: DeclaredChat, at: Path) -> None:
    """What no change can turn a chat into: another type, another dialect, alive again."""
    if chat.kind is not spec.kind:
        raise DeclarationRefused(
            at, f"chat '{chat.id}' exists as a {chat.kind.value} chat; its type cannot change"
        )
    if chat.dialect != spec.dialect:
        raise DeclarationRefused(
            (*at, "dialect"),
            f"chat '{chat.id}' exists as a {chat.dialect} chat; its dialect cannot change",
        )
    if chat.dissolved:
        raise DeclarationRefused(at, f"chat '{chat.id}' was dissolved")


def _require_admin_cap(chat: Chat, spec: DeclaredChat, at: Path) -> None:
    """The chat's admin cap (``ChatLimits.max_admins``, from its dialect) holds."""
    cap = chat.limits.max_admins
    admins = [i for i, m in enumerate(spec.members) if m.role is Role.ADMIN]
    if cap is not None and len(admins) > cap:
        raise DeclarationRefused(
            (*at, "members", admins[cap], "role"), f"this chat holds at most {cap} admins"
        )


async def _apply_members(
    uow: UnitOfWork,
    platform: Actor,
    chat: Chat,
    spec: DeclaredChat,
    at: Path,
    now: int,
    changes: Counter[str],
) -> None:
    """Exactly the declared members, with their roles: ``member.added``, ``member.removed``
    and ``chat.admins_changed`` as the member use cases write them."""
    _require_admin_cap(chat, spec, at)
    current = {m.user_id: m for m in await uow.members.list(chat.app_id, chat.id)}
    wanted = {m.user: m.role for m in spec.members}
    added = [u for u in wanted if u not in current]
    removed = [u for u in current if u not in wanted]
    for user_id in added:
        await uow.members.add(Member(chat.app_id, chat.id, user_id, wanted[user_id], now))
    for user_id in removed:
        await uow.members.remove(chat.app_id, chat.id, user_id)
    for user_id, role in wanted.items():
        if user_id in current and current[user_id].role is not role:
            await uow.members.set_role(chat.app_id, chat.id, user_id, role)
    if added:
        await emit_members(uow, platform, now, EventType.MEMBER_ADDED, chat, added)
        changes["member.added"] += len(added)
    if removed:
        await emit_members(uow, platform, now, EventType.MEMBER_REMOVED, chat, removed)
        changes["member.removed"] += len(removed)
    admins_before = {u for u, m in current.items() if m.role is Role.ADMIN}
    admins = [u for u, role in wanted.items() if role is Role.ADMIN]
    if set(admins) != admins_before:
        await emit_admins_changed(uow, platform, now, chat, admins)
    roles_changed = [u for u in wanted if u in current and current[u].role is not wanted[u]]
    if roles_changed:
        changes["member.role_changed"] += len(roles_changed)


async def _apply_message(
    uow: UnitOfWork,
    sender: Actor,
    chat: Chat,
    spec: DeclaredMessage,
    at: Path,
    now: int,
    changes: Counter[str],
) -> None:
    message = await uow.messages.get(chat.app_id, spec.id)
    if message is None:
        new = NewMessage(spec.id, spec.type, spec.content, chat_rate_limited=False)
        sent_at = now if spec.created_at is None else spec.created_at
        await write_within(uow, sender, chat, new, sent_at)
        changes["message.created"] += 1
        return
    if message.chat_id != chat.id:
        raise DeclarationRefused(
            (*at, "id"), f"message '{spec.id}' exists in chat '{message.chat_id}'"
        )
    if message.sender_id != spec.sender:
        raise DeclarationRefused(
            (*at, "sender"),
            f"message '{spec.id}' was sent by '{message.sender_id}'; its sender cannot change",
        )
    # As declared: its content and time, not recalled, not self-destructing, seen by everyone.
    wanted = dataclasses.replace(
        message,
        type=spec.type,
        content=spec.content,
        created_at=message.created_at if spec.created_at is None else spec.created_at,
        recalled_at=None,
        expires_at=None,
        visible_to=None,
    )
    if _declared_fields(wanted) == _declared_fields(message):
        return
    wanted.updated_at = max(message.updated_at, now)
    await uow.messages.update(wanted)
    await emit(
        uow,
        sender,
        now,
        EventType.MESSAGE_EDITED,
        chat_audience(chat.id),
        chat_id=chat.id,
        message_id=message.id,
    )
    changes["message.updated"] += 1


def _declared_fields(message: Message) -> tuple[object, ...]:
    return (
        message.type,
        message.content,
        message.created_at,
        message.recalled_at,
        message.expires_at,
        message.visible_to,
    )

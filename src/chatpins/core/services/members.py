"""Chat membership and roles."""

from __future__ import annotations

from typing import Any

from chatpins.core import policies
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Chat, ChatKind, Member, Role
from chatpins.core.errors import (
    Conflict,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Reason,
)
from chatpins.core.events import (
    EventType,
    chat_audience,
    emit,
    emit_admins_changed,
    emit_members,
)
from chatpins.core.ports import UnitOfWork
from chatpins.core.services.chats import load_chat, lock_for_change, require_member
from chatpins.core.services.messages import NewMessage, write_within

# Chat attribute holding per-member custom properties: {user_id: {name: value}}.
MEMBER_PROPERTIES = "member_properties"


async def add_members(
    deps: Deps,
    actor: Actor,
    chat_id: str,
    user_ids: list[str],
    *,
    note: NewMessage | None = None,
) -> list[str]:
    """Add the users who are not members yet; return the ids actually added.

    ``note``: a system message to write into the chat with the change (IMKit ``addMembers``).
    """
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        chat, member = await lock_for_change(uow, actor, chat_id)
        return await add_within(uow, actor, chat, member, user_ids, now, note=note)


async def add_within(
    uow: UnitOfWork,
    actor: Actor,
    chat: Chat,
    member: Member,
    user_ids: list[str],
    now: int,
    *,
    note: NewMessage | None = None,
) -> list[str]:
    """``add_members`` inside an open unit of work, on a chat locked by ``lock_for_change``
    (``member``: the actor's membership)."""
    if not policies.allowed(chat.add_member_permission, chat, member) and not (
        policies.is_manager(chat, member)
    ):
        raise PermissionDenied(Reason.ONLY_MANAGERS_MAY_ADD_MEMBERS)
    users = await uow.users.get_many(actor.app_id, user_ids)
    unknown = sorted(set(user_ids) - {u.id for u in users})
    if unknown:
        raise InvalidArgument(Reason.UNKNOWN_USERS, ",".join(unknown))
    added = []
    for user_id in dict.fromkeys(user_ids):
        if await uow.members.get(actor.app_id, chat.id, user_id) is None:
            await uow.members.add(Member(actor.app_id, chat.id, user_id, Role.MEMBER, now))
            added.append(user_id)
    if note is not None:
        await write_within(uow, actor, chat, note, now)
    if added:
        await emit_members(uow, actor, now, EventType.MEMBER_ADDED, chat, added)
    return added


async def add_member(deps: Deps, actor: Actor, chat_id: str, user_id: str, role: Role) -> Member:
    """Add one user with a role (member or admin) in one transaction; admins are the owner's
    to make. Already a member: ``member_exists``."""
    if role is Role.OWNER:
        raise InvalidArgument(Reason.INVALID_ROLE, "a chat has one owner; transfer ownership")
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        chat, member = await lock_for_change(uow, actor, chat_id)
        if role is Role.ADMIN and not (member.role is Role.OWNER or actor.is_platform):
            raise PermissionDenied(Reason.ONLY_OWNER_MAY_MANAGE_ADMINS)
        if await uow.users.get(actor.app_id, user_id) is None:
            raise NotFound(Reason.USER_NOT_FOUND, user_id)
        if await uow.members.get(actor.app_id, chat.id, user_id) is not None:
            raise Conflict(Reason.MEMBER_EXISTS, user_id)
        await add_within(uow, actor, chat, member, [user_id], now)
        if role is not Role.MEMBER:
            await uow.members.set_role(actor.app_id, chat.id, user_id, role)
        added = await uow.members.get(actor.app_id, chat.id, user_id)
        assert added is not None
        return added


async def remove_members(
    deps: Deps,
    actor: Actor,
    chat_id: str,
    user_ids: list[str],
    *,
    owner_may_leave: bool = False,
    note: NewMessage | None = None,
) -> list[str]:
    """Remove members; return the ids that were not members (nothing to remove).

    Nobody removes the owner. ``owner_may_leave``: the owner may remove itself, and the chat
    then has no owner (IMKit); otherwise the owner must hand ownership over first (Feishu).
    """
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        chat, member = await lock_for_change(uow, actor, chat_id)
        others = [u for u in user_ids if u != actor.user.id]
        if others and not policies.is_manager(chat, member):
            raise PermissionDenied(Reason.ONLY_MANAGERS_MAY_REMOVE_MEMBERS)
        leaving_owner = owner_may_leave and chat.owner_id == actor.user.id
        if chat.owner_id in user_ids and not leaving_owner:
            raise Conflict(Reason.CANNOT_REMOVE_OWNER, chat.owner_id or "")
        if leaving_owner and chat.owner_id in user_ids:
            chat.owner_id = None
            await uow.chats.update(chat)
        removed, absent = [], []
        for user_id in dict.fromkeys(user_ids):
            if await uow.members.get(actor.app_id, chat.id, user_id) is None:
                absent.append(user_id)
            else:
                await uow.members.remove(actor.app_id, chat.id, user_id)
                removed.append(user_id)
        if note is not None and removed:
            await write_within(uow, actor, chat, note, now)
        if removed:
            await emit_members(uow, actor, now, EventType.MEMBER_REMOVED, chat, removed)
    return absent


async def set_admins(
    deps: Deps, actor: Actor, chat_id: str, user_ids: list[str], *, admin: bool
) -> list[Member]:
    """Make members admins (or plain members again); return the chat's admins afterwards."""
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        chat = await _lock_as_owner(uow, actor, chat_id)
        targets = {m.user_id: m for m in await uow.members.list(actor.app_id, chat.id)}
        missing = [u for u in user_ids if u not in targets]
        if missing:
            raise InvalidArgument(Reason.NOT_CHAT_MEMBERS, ",".join(missing))
        return await _set_roles(uow, actor, chat, targets, user_ids, admin, now)


async def join_chat(
    deps: Deps, actor: Actor, chat_id: str, *, note: NewMessage | None = None
) -> bool:
    """The actor joins a group chat by its id (IMKit rooms are open); False if already in."""
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        chat = await load_chat(uow, actor, chat_id, for_update=True)
        policies.require_live(chat)
        if await uow.members.get(actor.app_id, chat.id, actor.user.id) is not None:
            return False
        if chat.kind is ChatKind.P2P:
            raise PermissionDenied(Reason.MAY_NOT_JOIN_P2P)
        await uow.members.add(Member(actor.app_id, chat.id, actor.user.id, Role.MEMBER, now))
        if note is not None:
            await write_within(uow, actor, chat, note, now)
        await emit_members(uow, actor, now, EventType.MEMBER_ADDED, chat, [actor.user.id])
    return True


async def set_member_role(
    deps: Deps,
    actor: Actor,
    chat_id: str,
    user_id: str,
    *,
    admin: bool,
    note: NewMessage | None = None,
) -> None:
    """Make one member an admin or a plain member again; the owner (or platform) only.

    ``note``: a system message written when the member is promoted (IMKit ``assignAdmin``).
    """
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        chat = await _lock_as_owner(uow, actor, chat_id)
        targets = {m.user_id: m for m in await uow.members.list(actor.app_id, chat.id)}
        target = targets.get(user_id)
        if target is None:
            raise NotFound(Reason.MEMBER_NOT_FOUND, user_id)
        if target.role is Role.OWNER or target.role is (Role.ADMIN if admin else Role.MEMBER):
            return
        await _set_roles(uow, actor, chat, targets, [user_id], admin, now)
        if note is not None and admin:
            await write_within(uow, actor, chat, note, now)


async def set_member_property(
    deps: Deps, actor: Actor, chat_id: str, user_id: str, name: str, value: Any
) -> None:
    """Store a dialect's custom per-member property (opaque to core) on the chat; owner only."""
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        chat = await _lock_as_owner(uow, actor, chat_id)
        if await uow.members.get(actor.app_id, chat.id, user_id) is None:
            raise NotFound(Reason.MEMBER_NOT_FOUND, user_id)
        properties = dict(chat.attributes.get(MEMBER_PROPERTIES, {}))
        properties[user_id] = {**properties.get(user_id, {}), name: value}
        chat.attributes = {**chat.attributes, MEMBER_PROPERTIES: properties}
        await uow.chats.update(chat)
        await emit(uow, actor, now, EventType.CHAT_UPDATED, chat_audience(chat.id), chat_id=chat.id)


async def list_members(deps: Deps, actor: Actor, chat_id: str) -> list[Member]:
    async with deps.uow() as uow:
        chat = await load_chat(uow, actor, chat_id)
        await require_member(uow, actor, chat)
        return await uow.members.list(actor.app_id, chat.id)


async def _lock_as_owner(uow: UnitOfWork, actor: Actor, chat_id: str) -> Chat:
    """Roles and member properties are the owner's (and the platform's) to change."""
    chat, member = await lock_for_change(uow, actor, chat_id)
    if member.role is not Role.OWNER:
        raise PermissionDenied(Reason.ONLY_OWNER_MAY_MANAGE_ADMINS)
    return chat


async def _set_roles(
    uow: UnitOfWork,
    actor: Actor,
    chat: Chat,
    targets: dict[str, Member],
    user_ids: list[str],
    admin: bool,
    now: int,
) -> list[Member]:
    """Give members (never the owner) the admin or member role; return the admins after."""
    for user_id in dict.fromkeys(user_ids):
        if targets[user_id].role is Role.OWNER:
            continue
        role = Role.ADMIN if admin else Role.MEMBER
        await uow.members.set_role(actor.app_id, chat.id, user_id, role)
        targets[user_id].role = role
    admins = [m for m in targets.values() if m.role is Role.ADMIN]
    policies.require_admin_room(chat, len(admins))
    await emit_admins_changed(uow, actor, now, chat, [m.user_id for m in admins])
    return admins

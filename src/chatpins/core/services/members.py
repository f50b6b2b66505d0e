"""Chat membership and roles."""

from __future__ import annotations

from dataclasses import dataclass

from chatpins.core import policies
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Member, Role
from chatpins.core.errors import Conflict, InvalidArgument, LimitExceeded, PermissionDenied
from chatpins.core.events import chat_audience, emit
from chatpins.core.services.chats import load_chat, lock_for_change, require_member

MAX_ADMINS = 10  # Feishu: at most 10 managers per chat


@dataclass
class AdminLists:
    users: list[str]
    bots: list[str]


async def add_members(deps: Deps, actor: Actor, chat_id: str, user_ids: list[str]) -> list[str]:
    """Add the users who are not members yet; return the ids actually added."""
    now = deps.clock.now_ms()
    async with deps.uow(write=True) as uow:
        chat, member = await lock_for_change(uow, actor, chat_id)
        if not policies.allowed(chat.add_member_permission, chat, member) and not (
            policies.is_manager(chat, member)
        ):
            raise PermissionDenied("only_managers_may_add_members")
        users = await uow.users.get_many(actor.app_id, user_ids)
        unknown = sorted(set(user_ids) - {u.id for u in users})
        if unknown:
            raise InvalidArgument("unknown_users", ",".join(unknown))
        added = []
        for user_id in dict.fromkeys(user_ids):
            if await uow.members.get(actor.app_id, chat.id, user_id) is None:
                await uow.members.add(Member(actor.app_id, chat.id, user_id, Role.MEMBER, now))
                added.append(user_id)
        if added:
            await emit(
                uow,
                actor,
                now,
                "member.added",
                chat_audience(chat.id),
                chat_id=chat.id,
                user_ids=added,
            )
    return added


async def remove_members(deps: Deps, actor: Actor, chat_id: str, user_ids: list[str]) -> list[str]:
    """Remove members; return the ids that were not members (nothing to remove)."""
    now = deps.clock.now_ms()
    async with deps.uow(write=True) as uow:
        chat, member = await lock_for_change(uow, actor, chat_id)
        others = [u for u in user_ids if u != actor.user.id]
        if others and not policies.is_manager(chat, member):
            raise PermissionDenied("only_managers_may_remove_members")
        if chat.owner_id in user_ids:
            raise Conflict("cannot_remove_owner", chat.owner_id or "")
        removed, absent = [], []
        for user_id in dict.fromkeys(user_ids):
            if await uow.members.get(actor.app_id, chat.id, user_id) is None:
                absent.append(user_id)
            else:
                await uow.members.remove(actor.app_id, chat.id, user_id)
                removed.append(user_id)
        if removed:
            await emit(
                uow,
                actor,
                now,
                "member.removed",
                chat_audience(chat.id),
                chat_id=chat.id,
                user_ids=removed,
            )
    return absent


async def set_admins(
    deps: Deps, actor: Actor, chat_id: str, user_ids: list[str], *, admin: bool
) -> list[Member]:
    """Make members admins (or plain members again); return the chat's admins afterwards."""
    now = deps.clock.now_ms()
    async with deps.uow(write=True) as uow:
        chat, member = await lock_for_change(uow, actor, chat_id)
        if member.role is not Role.OWNER:
            raise PermissionDenied("only_owner_may_manage_admins")
        targets = {m.user_id: m for m in await uow.members.list(actor.app_id, chat.id)}
        missing = [u for u in user_ids if u not in targets]
        if missing:
            raise InvalidArgument("not_chat_members", ",".join(missing))
        for user_id in dict.fromkeys(user_ids):
            if targets[user_id].role is Role.OWNER:
                continue
            role = Role.ADMIN if admin else Role.MEMBER
            await uow.members.set_role(actor.app_id, chat.id, user_id, role)
            targets[user_id].role = role
        admins = [m for m in targets.values() if m.role is Role.ADMIN]
        if len(admins) > MAX_ADMINS:
            raise LimitExceeded("admin_limit", str(MAX_ADMINS))
        await emit(
            uow,
            actor,
            now,
            "chat.admins_changed",
            chat_audience(chat.id),
            chat_id=chat.id,
            admins=[m.user_id for m in admins],
        )
    return admins


async def list_members(deps: Deps, actor: Actor, chat_id: str) -> list[Member]:
    async with deps.uow() as uow:
        chat = await load_chat(uow, actor, chat_id)
        await require_member(uow, actor, chat)
        return await uow.members.list(actor.app_id, chat.id)

"""Chats: create, read, change settings, dissolve."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any

from chatpins.core import policies
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import (
    Chat,
    ChatKind,
    ChatLimits,
    Member,
    Overflow,
    Permission,
    PinRights,
    Role,
)
from chatpins.core.errors import (
    Conflict,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Reason,
)
from chatpins.core.events import EventType, chat_audience, emit
from chatpins.core.identity import is_valid_id, p2p_chat_id
from chatpins.core.ports import UnitOfWork

CREATE_KEY_WINDOW_MS = 10 * 3600 * 1000  # Feishu: one chat per uuid (+ owner) within 10 h
MAX_PINS_CAP = 1000  # the largest ``max_pins`` a chat may be given
_DIALECT_LIMITS: dict[str, ChatLimits] = {}


def register_chat_limits(dialect: str, limits: ChatLimits) -> None:
    """The limits of the chats a dialect creates (its vendor's admin cap, pin rate, types that
    cannot be pinned): data on each chat, so core applies them without naming the vendor."""
    _DIALECT_LIMITS[dialect] = limits


@dataclass
class NewChat:
    id: str
    name: str = ""
    description: str = ""
    kind: ChatKind = ChatKind.GROUP
    owner_id: str | None = None  # None: the creator owns it (unless ``ownerless``)
    ownerless: bool = False  # no owner at all (IMKit direct rooms, platform-made rooms)
    creator_joins: bool = True  # False: the creator only creates (IMKit's platform API key)
    member_ids: list[str] = field(default_factory=list)
    admin_ids: list[str] = field(default_factory=list)
    pin_rights: PinRights = field(default_factory=PinRights)
    transfer_role: Role = Role.OWNER
    edit_permission: Permission = Permission.MEMBERS
    add_member_permission: Permission = Permission.MEMBERS
    max_pins: int | None = None
    overflow: Overflow = Overflow.REJECT
    attributes: dict[str, Any] = field(default_factory=dict)
    create_key: str | None = None
    limits: ChatLimits | None = None  # None: the creating dialect's (``register_chat_limits``)


@dataclass
class ChatView:
    chat: Chat
    members: list[Member]
    viewer: Member | None  # the actor's membership, None when not in the chat


@dataclass
class ChatChanges:
    """Only the fields given change. Profile fields are the ones plain members may edit."""

    name: str | None = None
    description: str | None = None
    owner_id: str | None = None
    pin_rights: PinRights | None = None
    edit_permission: Permission | None = None
    add_member_permission: Permission | None = None
    # The complete new list of admins (members not listed lose the role); owner only.
    admin_ids: list[str] | None = None
    profile_attributes: dict[str, Any] = field(default_factory=dict)
    setting_attributes: dict[str, Any] = field(default_factory=dict)

    def touches_settings(self) -> bool:
        settings = (self.owner_id, self.pin_rights, self.edit_permission, self.admin_ids)
        return any(v is not None for v in settings) or bool(
            self.setting_attributes or self.add_member_permission is not None
        )


async def create_chat(deps: Deps, actor: Actor, spec: NewChat) -> Chat:
    check_new_chat(actor, spec)
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        if spec.create_key:
            earlier = await uow.chats.find_by_create_key(
                actor.app_id, spec.create_key, now - CREATE_KEY_WINDOW_MS
            )
            if earlier is not None:
                return earlier
        if await uow.chats.get(actor.app_id, spec.id) is not None:
            raise Conflict(Reason.CHAT_EXISTS, spec.id)
        return await create_within(uow, actor, spec, now)


def check_new_chat(actor: Actor, spec: NewChat) -> None:
    """What a new chat needs before any read: a usable id, and the app's capabilities."""
    if actor.requires_app_bot:
        policies.require_app_capabilities(actor)
    if not is_valid_id(spec.id):
        raise InvalidArgument(Reason.INVALID_CHAT_ID, spec.id)


async def create_within(uow: UnitOfWork, actor: Actor, spec: NewChat, now: int) -> Chat:
    """Store a new chat, its members and ``chat.created`` inside an open unit of work (the
    caller has checked that ``spec.id`` is free)."""
    owner_id = None if spec.ownerless else spec.owner_id or actor.user.id
    creator = [actor.user.id] if spec.creator_joins else []
    owner = [owner_id] if owner_id is not None else []
    wanted = dict.fromkeys([*owner, *creator, *spec.admin_ids, *spec.member_ids])
    users = await uow.users.get_many(actor.app_id, list(wanted))
    unknown = sorted(set(wanted) - {u.id for u in users})
    if unknown:
        raise InvalidArgument(Reason.UNKNOWN_USERS, ",".join(unknown))
    chat = Chat(
        app_id=actor.app_id,
        id=spec.id,
        kind=spec.kind,
        name=spec.name,
        description=spec.description,
        owner_id=owner_id,
        creator_id=actor.user.id,
        created_at=now,
        pin_rights=spec.pin_rights,
        transfer_role=spec.transfer_role,
        edit_permission=spec.edit_permission,
        add_member_permission=spec.add_member_permission,
        max_pins=spec.max_pins,
        overflow=spec.overflow,
        limits=spec.limits or _DIALECT_LIMITS.get(actor.dialect, ChatLimits()),
        dialect=actor.dialect,
        attributes=spec.attributes,
        create_key=spec.create_key,
        last_activity_at=now,
    )
    await uow.chats.add(chat)
    for user_id in wanted:
        role = Role.MEMBER
        if user_id == owner_id:
            role = Role.OWNER
        elif user_id in spec.admin_ids:
            role = Role.ADMIN
        await uow.members.add(Member(actor.app_id, chat.id, user_id, role, now))
    await emit(
        uow,
        actor,
        now,
        EventType.CHAT_CREATED,
        chat_audience(chat.id),
        chat_id=chat.id,
        members=list(wanted),
    )
    return chat


async def get_or_create_p2p(deps: Deps, actor: Actor, peer_id: str) -> Chat:
    """The one-on-one chat of the actor and a peer, created on first use."""
    async with deps.uow() as uow:
        chat = await uow.chats.find_p2p(actor.app_id, actor.user.id, peer_id)
    if chat is not None:
        return chat
    spec = p2p_spec(actor, peer_id)
    try:
        return await create_chat(deps, actor, spec)
    except Conflict as exc:
        # Another request created it first (same id by construction): use that one.
        if exc.reason not in (Reason.CHAT_EXISTS, Reason.DUPLICATE_KEY):
            raise
        async with deps.uow() as uow:
            chat = await uow.chats.get(actor.app_id, spec.id)
        if chat is None:
            raise
        return chat


def p2p_spec(actor: Actor, peer_id: str) -> NewChat:
    """The one-on-one chat of the actor and a peer (its id follows from the pair)."""
    return NewChat(
        id=p2p_chat_id(actor.app_id, actor.user.id, peer_id),
        kind=ChatKind.P2P,
        member_ids=[peer_id],
    )


async def get_chat(deps: Deps, actor: Actor, chat_id: str) -> ChatView:
    async with deps.uow() as uow:
        chat = await load_chat(uow, actor, chat_id)
        members = await uow.members.list(actor.app_id, chat_id)
    viewer = next((m for m in members if m.user_id == actor.user.id), None)
    if actor.is_platform:
        viewer = policies.platform_member(actor, chat)
    return ChatView(chat, members, viewer)


async def update_chat(deps: Deps, actor: Actor, chat_id: str, changes: ChatChanges) -> Chat:
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        chat, member = await lock_for_change(uow, actor, chat_id)
        return await update_within(uow, actor, chat, member, changes, now)


async def update_within(
    uow: UnitOfWork, actor: Actor, chat: Chat, member: Member, changes: ChatChanges, now: int
) -> Chat:
    """Apply ``changes`` to a chat locked by ``lock_for_change`` (``member``: the actor's
    membership), writing ``chat.updated`` with them; returns the chat as changed."""
    if not policies.is_manager(chat, member):
        if changes.touches_settings():
            raise PermissionDenied(Reason.ONLY_MANAGERS_MAY_CHANGE_SETTINGS)
        if chat.edit_permission is Permission.OWNER_ADMINS:
            raise PermissionDenied(Reason.ONLY_MANAGERS_MAY_EDIT)
    transfer = changes.owner_id is not None and changes.owner_id != chat.owner_id
    if transfer and not policies.may_transfer_ownership(chat, member):
        raise PermissionDenied(Reason.MAY_NOT_TRANSFER_OWNERSHIP)
    if changes.admin_ids is not None and not _owns(chat, member):
        raise PermissionDenied(Reason.ONLY_OWNER_MAY_MANAGE_ADMINS)
    if changes.owner_id is not None and transfer:
        await _transfer_ownership(uow, chat, changes.owner_id)
    if changes.admin_ids is not None:
        await _replace_admins(uow, chat, changes.admin_ids)
    updates = {
        k: getattr(changes, k)
        for k in ("name", "description", *_PERMISSIONS)
        if getattr(changes, k) is not None
    }
    attributes = {**chat.attributes, **changes.profile_attributes}
    attributes.update(changes.setting_attributes)
    changed = dataclasses.replace(chat, **updates, attributes=attributes)
    return await _store_update(uow, actor, chat, changed, now)


async def _store_update(uow: UnitOfWork, actor: Actor, before: Chat, after: Chat, now: int) -> Chat:
    """Write a changed chat and ``chat.updated`` with the fields that changed."""
    await uow.chats.update(after)
    await emit(
        uow,
        actor,
        now,
        EventType.CHAT_UPDATED,
        chat_audience(after.id),
        chat_id=after.id,
        changes=_changes(before, after),
    )
    return after


async def store_update_within(
    uow: UnitOfWork, actor: Actor, before: Chat, after: Chat, now: int
) -> Chat:
    """Write a chat changed by a caller that applied its own rules (declared state), with
    ``chat.updated`` naming the fields that changed, as ``update_chat`` writes it."""
    return await _store_update(uow, actor, before, after, now)


_PERMISSIONS = ("pin_rights", "edit_permission", "add_member_permission")
_REPORTED = ("name", "description", "owner_id", *_PERMISSIONS, "max_pins", "overflow")


def _changes(before: Chat, after: Chat) -> dict[str, dict[str, Any]]:
    """The chat fields an update changed, each with its value before and after."""
    changes = {}
    for name in _REPORTED:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes[name] = {"before": _plain(old), "after": _plain(new)}
    return changes


def _plain(value: Any) -> Any:
    if isinstance(value, PinRights):
        return {k: v.value for k, v in dataclasses.asdict(value).items()}
    return value.value if isinstance(value, enum.Enum) else value


@dataclass(frozen=True)
class PinPolicy:
    """A chat's pin rules: its cap, what a pin does on a full chat, who may do what."""

    max_pins: int | None
    overflow: Overflow
    rights: PinRights

    @classmethod
    def of(cls, chat: Chat) -> PinPolicy:
        return cls(chat.max_pins, chat.overflow, chat.pin_rights)

    def check(self) -> None:
        if self.max_pins is not None and not 1 <= self.max_pins <= MAX_PINS_CAP:
            raise InvalidArgument(
                Reason.INVALID_PIN_POLICY, f"max_pins must be 1-{MAX_PINS_CAP} or null"
            )


@dataclass(frozen=True)
class PinPolicyChange:
    """The parts of a pin policy a caller gives; the others stay as they are."""

    max_pins: int | None = None
    clear_max_pins: bool = False  # no cap at all (``max_pins`` must then be None)
    overflow: Overflow | None = None
    rights: dict[str, Role] = field(default_factory=dict)  # PinRight value -> lowest role

    def applied_to(self, current: PinPolicy) -> PinPolicy:
        cap = current.max_pins if self.max_pins is None else self.max_pins
        policy = PinPolicy(
            None if self.clear_max_pins else cap,
            self.overflow or current.overflow,
            dataclasses.replace(current.rights, **self.rights),
        )
        policy.check()
        return policy


async def change_chat(
    deps: Deps,
    actor: Actor,
    chat_id: str,
    *,
    name: str | None = None,
    policy: PinPolicyChange | None = None,
) -> Chat:
    """Rename a chat (its managers) and change its pin rules (its owner, or the platform), in
    one transaction: the change is merged into the rules read under the chat's lock. Pins over
    a lowered cap stay; the next pin makes room as the overflow says, or is refused."""
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        chat, member = await lock_for_change(uow, actor, chat_id)
        if policy is not None:
            if not _owns(chat, member):
                raise PermissionDenied(Reason.ONLY_OWNER_MAY_CHANGE_PIN_POLICY)
            rules = policy.applied_to(PinPolicy.of(chat))
            changed = dataclasses.replace(
                chat, max_pins=rules.max_pins, overflow=rules.overflow, pin_rights=rules.rights
            )
            chat = await _store_update(uow, actor, chat, changed, now)
        if name is not None:
            chat = await update_within(uow, actor, chat, member, ChatChanges(name=name), now)
        return chat


def _owns(chat: Chat, member: Member) -> bool:
    """Ownership and the admin list are the owner's (or the platform's, or the creating bot's:
    Feishu lets the bot that created a chat manage it)."""
    return member.role is Role.OWNER or member.user_id == chat.creator_id


async def _replace_admins(uow: UnitOfWork, chat: Chat, admin_ids: list[str]) -> None:
    members = {m.user_id: m for m in await uow.members.list(chat.app_id, chat.id)}
    missing = [u for u in admin_ids if u not in members]
    if missing:
        raise InvalidArgument(Reason.NOT_CHAT_MEMBERS, ",".join(missing))
    wanted = set(admin_ids)
    for user_id, member in members.items():
        if member.role is Role.OWNER:
            continue
        role = Role.ADMIN if user_id in wanted else Role.MEMBER
        if role is not member.role:
            await uow.members.set_role(chat.app_id, chat.id, user_id, role)
    admins = sum(1 for m in members.values() if m.role is not Role.OWNER and m.user_id in wanted)
    policies.require_admin_room(chat, admins)


async def _transfer_ownership(uow: UnitOfWork, chat: Chat, new_owner_id: str) -> None:
    new_owner = await uow.members.get(chat.app_id, chat.id, new_owner_id)
    if new_owner is None:
        raise InvalidArgument(Reason.NEW_OWNER_NOT_MEMBER, new_owner_id)
    if chat.owner_id is not None:
        await uow.members.set_role(chat.app_id, chat.id, chat.owner_id, Role.MEMBER)
    await uow.members.set_role(chat.app_id, chat.id, new_owner_id, Role.OWNER)
    chat.owner_id = new_owner_id


async def dissolve_chat(deps: Deps, actor: Actor, chat_id: str) -> None:
    now = deps.now(actor.app)
    async with deps.uow(write=True) as uow:
        chat, member = await lock_for_change(uow, actor, chat_id)
        if member.role is not Role.OWNER and actor.user.id != chat.creator_id:
            raise PermissionDenied(Reason.ONLY_OWNER_MAY_DISSOLVE)
        chat.dissolved_at = now
        await uow.chats.update(chat)
        await emit(
            uow,
            actor,
            now,
            EventType.CHAT_DISSOLVED,
            chat_audience(chat.id),
            chat_id=chat.id,
            chat_name=chat.name,
            chat_type=chat.kind.value,
        )


async def load_chat(
    uow: UnitOfWork, actor: Actor, chat_id: str, *, for_update: bool = False
) -> Chat:
    chat = await uow.chats.get(actor.app_id, chat_id, for_update=for_update)
    if chat is None:
        raise NotFound(Reason.CHAT_NOT_FOUND, chat_id)
    return chat


async def lock_for_change(uow: UnitOfWork, actor: Actor, chat_id: str) -> tuple[Chat, Member]:
    """The start of every change to a live chat: lock it, and find the actor among its members."""
    chat = await load_chat(uow, actor, chat_id, for_update=True)
    policies.require_live(chat)
    return chat, await require_member(uow, actor, chat)


async def require_member(uow: UnitOfWork, actor: Actor, chat: Chat) -> Member:
    member = await policies.membership(uow, actor, chat)
    if member is None:
        raise PermissionDenied(Reason.NOT_CHAT_MEMBER)
    return member

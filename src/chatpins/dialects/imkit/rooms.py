"""Rooms and their members (``/rooms…``). Every room carries ``pinnedMessage``."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from chatpins.core.context import Actor
from chatpins.core.entities import ChatKind, Overflow, Permission, PinRights, Role
from chatpins.core.services import chat_details, chat_upsert, chats, members
from chatpins.core.services.messages import NewMessage
from chatpins.dialects.imkit import render
from chatpins.dialects.imkit.auth import endpoint
from chatpins.dialects.imkit.errors import fail
from chatpins.dialects.imkit.schemas import (
    CreateAndJoinBody,
    InviteBody,
    JoinBody,
    MemberPropertyBody,
    RemoveMembersBody,
    RoomCreateBody,
    RoomListQuery,
    RoomProfile,
    RoomUpdateBody,
)
from chatpins.dialects.imkit.wire import ok, page, parse_body, query
from chatpins.dialects.shell import deps_of

ROLES = {"admin": True, "member": False}


@endpoint("any")
async def create_room(request: Request, actor: Actor) -> Response:
    body = await parse_body(request, RoomCreateBody)
    if actor.is_platform:
        # The platform creates without joining; ``owner`` (made a member) owns a group room.
        owner = body.owner if body.roomType == "group" else None
        member_ids = [*([owner] if owner else []), *body.members]
    else:
        # A user creating a room joins it and owns it (chosen; the Flutter SDK does this).
        owner = actor.user.id if body.roomType == "group" else None
        member_ids = [actor.user.id, *body.members]
    room_id = await _create_or_update(request, actor, body, body.id, owner, member_ids)
    return await _room(request, actor, room_id, member_ids_only=True)


@endpoint("user")
async def create_and_join(request: Request, actor: Actor) -> Response:
    body = await parse_body(request, CreateAndJoinBody)
    invitees = [body.invitee] if isinstance(body.invitee, str) else list(body.invitee or [])
    owner = actor.user.id if body.roomType == "group" else None
    member_ids = [actor.user.id, *invitees]
    room_id = await _create_or_update(request, actor, body, body.id, owner, member_ids)
    return await _room(request, actor, room_id)


@endpoint("any")
async def get_room(request: Request, actor: Actor) -> Response:
    return await _room(request, actor, request.path_params["room_id"], members_only=True)


@endpoint("any")
async def list_rooms(request: Request, actor: Actor) -> Response:
    q = query(request, RoomListQuery)
    details, total = await chat_details.list_chat_details(
        deps_of(request), actor, offset=q.skip, limit=q.limit
    )
    return page([render.room(actor.app, d) for d in details], total)


@endpoint("any")
async def update_room(request: Request, actor: Actor) -> Response:
    room_id = request.path_params["room_id"]
    body = await parse_body(request, RoomUpdateBody)
    changes = chats.ChatChanges(
        name=body.name,
        description=body.description,
        owner_id=body.owner,
        admin_ids=body.managers,
        profile_attributes=_attributes(body),
    )
    await chats.update_chat(deps_of(request), actor, room_id, changes)
    return await _room(request, actor, room_id)


@endpoint("any")
async def add_members(request: Request, actor: Actor) -> Response:
    room_id = request.path_params["room_id"]
    body = await parse_body(request, InviteBody)
    note = _note(request, "addMembers", {"invitees": body.invitees}, body.systemMessage)
    await members.add_members(deps_of(request), actor, room_id, body.invitees, note=note)
    return await _room(request, actor, room_id)


@endpoint("user")
async def join(request: Request, actor: Actor) -> Response:
    room_id = request.path_params["room_id"]
    body = await parse_body(request, JoinBody)
    note = _note(request, "joinRoom", {"client": actor.user.id}, body.systemMessage)
    await members.join_chat(deps_of(request), actor, room_id, note=note)
    return await _room(request, actor, room_id)


@endpoint("any")
async def remove_members(request: Request, actor: Actor) -> Response:
    room_id = request.path_params["room_id"]
    body = await parse_body(request, RemoveMembersBody)
    leaving = body.members == [actor.user.id]
    note = _note(
        request,
        "leaveRoom" if leaving else "deleteMember",
        {"members": body.members},
        body.systemMessage,
    )
    await members.remove_members(
        deps_of(request), actor, room_id, body.members, owner_may_leave=True, note=note
    )
    return await _room(request, actor, room_id, members_only=False)


@endpoint("any")
async def set_member(request: Request, actor: Actor) -> Response:
    room_id = request.path_params["room_id"]
    client_id = request.path_params["client_id"]
    body = await parse_body(request, MemberPropertyBody)
    deps = deps_of(request)
    if body.property == "role":
        if not isinstance(body.value, str) or body.value not in ROLES:
            raise fail("invalid_body", 'role must be "admin" or "member"')
        note = _note(request, "assignAdmin", {"client": client_id}, True)
        await members.set_member_role(
            deps, actor, room_id, client_id, admin=ROLES[body.value], note=note
        )
    else:
        await members.set_member_property(
            deps, actor, room_id, client_id, body.property, body.value
        )
    return await _room(request, actor, room_id)


async def _create_or_update(
    request: Request,
    actor: Actor,
    body: RoomProfile,
    room_id: str | None,
    owner: str | None,
    member_ids: list[str],
) -> str:
    """Create the room; re-posting an existing ``_id`` updates the given fields and adds the
    listed members (chosen), in one transaction."""
    deps = deps_of(request)
    direct = getattr(body, "roomType", "group") == "direct"
    wanted = list(dict.fromkeys(member_ids))
    if direct and len(wanted) != 2:
        raise fail("invalid_body", "a direct room has exactly two members")
    spec = chats.NewChat(
        id=room_id or deps.ids.hex(24),
        name=body.name or "",
        description=body.description or "",
        kind=ChatKind.P2P if direct else ChatKind.GROUP,
        owner_id=owner,
        ownerless=owner is None,
        creator_joins=not actor.is_platform,
        member_ids=wanted,
        # IMKit: one pinned message per room, a new pin replaces it; owner and admins pin
        # (either member of a direct room, which has no owner).
        pin_rights=PinRights.every(Role.MEMBER if direct else Role.ADMIN),
        # The owner hands a room over (or the platform); admins may not.
        transfer_role=Role.OWNER,
        edit_permission=Permission.MEMBERS if direct else Permission.OWNER_ADMINS,
        add_member_permission=Permission.MEMBERS,
        max_pins=1,
        overflow=Overflow.EVICT_OLDEST,
        attributes={**render.ROOM_DEFAULTS, **_attributes(body)},
    )
    changes = chats.ChatChanges(
        name=body.name,
        description=body.description,
        owner_id=owner if actor.is_platform else None,
        profile_attributes=_attributes(body),
    )
    chat = await chat_upsert.upsert_chat(deps, actor, spec, changes)
    return chat.id


async def _room(
    request: Request,
    actor: Actor,
    room_id: str,
    *,
    members_only: bool = False,
    member_ids_only: bool = False,
) -> Response:
    detail = await chat_details.get_chat_detail(
        deps_of(request), actor, room_id, members_only=members_only
    )
    return ok(render.room(actor.app, detail, member_ids_only=member_ids_only))


def _attributes(body: RoomProfile) -> dict[str, Any]:
    fields = ("cover", "roomTags", "status", "opening")
    return {f: getattr(body, f) for f in fields if getattr(body, f, None) is not None}


def _note(request: Request, type_: str, payload: dict[str, Any], wanted: bool) -> NewMessage | None:
    """The system message IMKit writes with a membership change when ``systemMessage``."""
    if not wanted:
        return None
    content = json.dumps(payload, ensure_ascii=False)
    return NewMessage(deps_of(request).ids.hex(24), type_, content, chat_rate_limited=False)

"""Native users, chats, members and messages: what pins need around them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from chatpins.api.errors import responses
from chatpins.api.native import render
from chatpins.api.native.auth import ActorDep, DepsDep, require_platform
from chatpins.api.native.schemas import (
    ChatCreate,
    ChatReply,
    ChatUpdate,
    MemberAdd,
    MessageReply,
    MessageSend,
    PinPolicyBody,
    UserCreate,
    UserReply,
)
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import ChatKind, Overflow, Permission, PinRights, Role
from chatpins.core.errors import InvalidArgument, NotFound, PermissionDenied, Reason
from chatpins.core.services import chats, members, messages, users
from chatpins.core.services.chats import PinPolicy, PinPolicyChange

router = APIRouter(prefix="/v1", tags=["native"])

# A chat made through /v1: members pin and unpin their own pins; admins unpin anyone's,
# reorder and edit (docs/native.md "Pin policy").
NATIVE_RIGHTS = PinRights(
    pin=Role.MEMBER,
    unpin_own=Role.MEMBER,
    unpin_any=Role.ADMIN,
    reorder=Role.ADMIN,
    edit=Role.ADMIN,
)


@router.post(
    "/users",
    status_code=201,
    response_model=None,
    responses=responses(400, 401, 403, 409, reply=UserReply, status=201),
)
async def create_user(body: UserCreate, actor: ActorDep, deps: DepsDep) -> dict[str, Any]:
    require_platform(actor)
    return render.user(await users.create_user(deps, actor.app_id, body.id, body.name))


@router.get(
    "/users/{user_id}", response_model=None, responses=responses(400, 401, 404, reply=UserReply)
)
async def get_user(user_id: str, actor: ActorDep, deps: DepsDep) -> dict[str, Any]:
    found = (await users.get_users(deps, actor.app_id, [user_id])).get(user_id)
    if found is None:
        raise NotFound(Reason.USER_NOT_FOUND, user_id)
    return render.user(found)


@router.post(
    "/chats",
    status_code=201,
    response_model=None,
    responses=responses(400, 401, 409, reply=ChatReply, status=201),
)
async def create_chat(body: ChatCreate, actor: ActorDep, deps: DepsDep) -> dict[str, Any]:
    owner = _owner_of_new_chat(actor, body.owner)
    policy = _change(body.pin_policy).applied_to(app_pin_policy(actor.app.native_pin_policy))
    spec = chats.NewChat(
        id=body.id or "ch_" + deps.ids.hex(24),
        name=body.name,
        kind=ChatKind.GROUP,
        owner_id=owner,
        creator_joins=not actor.is_platform,
        member_ids=body.members,
        pin_rights=policy.rights,
        max_pins=policy.max_pins,
        overflow=policy.overflow,
        transfer_role=Role.OWNER,
        # Renaming and adding members are the managers' (docs/native.md).
        edit_permission=Permission.OWNER_ADMINS,
        add_member_permission=Permission.OWNER_ADMINS,
    )
    chat = await chats.create_chat(deps, actor, spec)
    return await _render_chat(actor, deps, chat.id)


@router.get(
    "/chats/{chat_id}",
    response_model=None,
    responses=responses(400, 401, 403, 404, reply=ChatReply),
)
async def get_chat(chat_id: str, actor: ActorDep, deps: DepsDep) -> dict[str, Any]:
    return await _render_chat(actor, deps, chat_id)


@router.patch(
    "/chats/{chat_id}",
    response_model=None,
    responses=responses(400, 401, 403, 404, reply=ChatReply),
)
async def update_chat(
    chat_id: str, body: ChatUpdate, actor: ActorDep, deps: DepsDep
) -> dict[str, Any]:
    policy = _change(body.pin_policy) if body.pin_policy is not None else None
    await chats.change_chat(deps, actor, chat_id, name=body.name, policy=policy)
    return await _render_chat(actor, deps, chat_id)


@router.post(
    "/chats/{chat_id}/members",
    status_code=201,
    response_model=None,
    responses=responses(400, 401, 403, 404, 409),
)
async def add_member(
    chat_id: str, body: MemberAdd, actor: ActorDep, deps: DepsDep
) -> dict[str, Any]:
    added = await members.add_member(deps, actor, chat_id, body.user_id, Role(body.role))
    return {"user_id": added.user_id, "role": added.role.value}


@router.delete(
    "/chats/{chat_id}/members/{user_id}",
    status_code=204,
    responses=responses(400, 401, 403, 404, 409),
)
async def remove_member(chat_id: str, user_id: str, actor: ActorDep, deps: DepsDep) -> Response:
    absent = await members.remove_members(deps, actor, chat_id, [user_id])
    if absent:
        raise NotFound(Reason.MEMBER_NOT_FOUND, user_id)
    return Response(status_code=204)


@router.post(
    "/chats/{chat_id}/messages",
    status_code=201,
    response_model=None,
    responses=responses(400, 401, 403, 404, 410, 429, reply=MessageReply, status=201),
)
async def send_message(
    chat_id: str, body: MessageSend, actor: ActorDep, deps: DepsDep
) -> dict[str, Any]:
    sender = actor
    if body.sender is not None:
        require_platform(actor)
        found = (await users.get_users(deps, actor.app_id, [body.sender])).get(body.sender)
        if found is None:
            raise NotFound(Reason.USER_NOT_FOUND, body.sender)
        sender = Actor(actor.app, found, actor.dialect)
    new = messages.NewMessage(
        id="msg_" + deps.ids.hex(24),
        type="text",
        content=render.json_text(body.text),
        chat_rate_limited=False,
    )
    return render.message(await messages.send_message(deps, sender, chat_id, new))


def _owner_of_new_chat(actor: Actor, owner: str | None) -> str:
    """A user creates chats it owns; the platform names the owner."""
    if actor.is_platform:
        if owner is None:
            raise InvalidArgument(Reason.INVALID_OWNER_ID, "owner is required with the api key")
        return owner
    if owner not in (None, actor.user.id):
        raise InvalidArgument(Reason.INVALID_OWNER_ID, "a user creates chats it owns")
    return actor.user.id


def app_pin_policy(stored: dict[str, Any] | None) -> PinPolicy:
    """What a new native chat starts with: the app's default policy (``native_pin_policy``,
    in the API's own spelling) over the built-in one."""
    built_in = PinPolicy(None, Overflow.REJECT, NATIVE_RIGHTS)
    if not stored:
        return built_in
    return _change(PinPolicyBody.model_validate(stored)).applied_to(built_in)


def _change(body: PinPolicyBody | None) -> PinPolicyChange:
    """The keys the body gives (``max_pins: null``: no cap)."""
    if body is None:
        return PinPolicyChange()
    given = body.permissions.model_dump(exclude_none=True) if body.permissions else {}
    return PinPolicyChange(
        max_pins=body.max_pins,
        clear_max_pins="max_pins" in body.model_fields_set and body.max_pins is None,
        overflow=Overflow(body.overflow) if body.overflow is not None else None,
        rights={right: Role(role) for right, role in given.items()},
    )


async def _render_chat(actor: Actor, deps: Deps, chat_id: str) -> dict[str, Any]:
    view = await chats.get_chat(deps, actor, chat_id)
    if view.viewer is None:
        raise PermissionDenied(Reason.NOT_CHAT_MEMBER)
    return render.chat(view.chat, view.members)

"""Chats, members and managers (``/open-apis/im/v1/chats``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from chatpins.core.context import Actor
from chatpins.core.entities import Permission, Role, User
from chatpins.core.errors import InvalidArgument, Reason
from chatpins.core.services import chats, members, users
from chatpins.dialects.feishu import render
from chatpins.dialects.feishu.auth import endpoint
from chatpins.dialects.feishu.errors import invalid
from chatpins.dialects.feishu.schemas import (
    ChatCreateBody,
    ChatCreateQuery,
    ChatSettings,
    IdListBody,
    ManagersBody,
    MemberIdTypeQuery,
    MemberListQuery,
    UserIdTypeQuery,
)
from chatpins.dialects.feishu.wire import ok, parse_body, parse_query
from chatpins.dialects.shell import deps_of
from chatpins.intake import parse_uint

# Body fields that map onto core chat fields; every other setting is kept as an attribute.
_CORE_FIELDS = {
    "name",
    "description",
    "owner_id",
    "pin_manage_setting",
    "edit_permission",
    "add_member_permission",
    "share_card_permission",
}
_PROFILE_ATTRIBUTES = {"avatar", "i18n_names"}
NO_TOPIC = "(无主题)"


@endpoint("chat.create")
async def create_chat(request: Request, actor: Actor) -> Response:
    query = parse_query(request, ChatCreateQuery, "chat")
    body = await parse_body(request, ChatCreateBody, "chat")
    deps = deps_of(request)
    if body.chat_type == "public":
        if not body.name:
            raise InvalidArgument(Reason.PUBLIC_CHAT_NAME_MISSING)
        if len(body.name) < 2:
            raise InvalidArgument(Reason.PUBLIC_CHAT_NAME_TOO_SHORT)
    owner = await _one_user(request, actor, query.user_id_type, body.owner_id)
    found = await _users(request, actor, query.user_id_type, body.user_id_list, strict=True)
    bots = await _users(request, actor, "app_id", body.bot_id_list, strict=True)
    admins = []
    if query.set_bot_manager and owner is not None:
        admins.append(actor.app.bot_user_id)
    spec = chats.NewChat(
        id="oc_" + deps.ids.hex(32),
        # Feishu names a private chat without a name "(无主题)" ("no topic").
        name=body.name or ("" if body.chat_type == "public" else NO_TOPIC),
        description=body.description or "",
        owner_id=owner.id if owner else None,
        # The creating app's bot always joins the chat it creates.
        member_ids=[
            actor.app.bot_user_id,
            *(u.id for u in found.values()),
            *(b.id for b in bots.values()),
        ],
        admin_ids=admins,
        pin_rights=render.PIN_RIGHTS[body.pin_manage_setting or "all_members"],
        # Feishu's owner, managers and creating bot "may change everything", owner_id included.
        transfer_role=Role.ADMIN,
        edit_permission=render.PERMISSION[body.edit_permission or "all_members"],
        add_member_permission=_add_member_permission(body) or Permission.MEMBERS,
        attributes=_attributes(body, exclude=_CORE_FIELDS | {"user_id_list", "bot_id_list"}),
        create_key=f"{query.uuid}:{owner.id if owner else ''}" if query.uuid else None,
    )
    chat = await chats.create_chat(deps, actor, spec)
    return ok(await _render_chat(request, actor, chat.id, query.user_id_type))


@endpoint("chat.get")
async def get_chat(request: Request, actor: Actor) -> Response:
    query = parse_query(request, UserIdTypeQuery, "chat")
    return ok(
        await _render_chat(request, actor, request.path_params["chat_id"], query.user_id_type)
    )


@endpoint("chat.update")
async def update_chat(request: Request, actor: Actor) -> Response:
    query = parse_query(request, UserIdTypeQuery, "chat")
    body = await parse_body(request, ChatSettings, "chat")
    given = body.model_dump(exclude_unset=True)
    owner = await _one_user(request, actor, query.user_id_type, body.owner_id)
    changes = chats.ChatChanges(
        name=body.name,
        description=body.description,
        owner_id=owner.id if owner else None,
        pin_rights=render.PIN_RIGHTS.get(body.pin_manage_setting or ""),
        edit_permission=render.PERMISSION.get(body.edit_permission or ""),
        add_member_permission=_add_member_permission(body),
        profile_attributes={k: v for k, v in given.items() if k in _PROFILE_ATTRIBUTES},
        setting_attributes=_attributes(body, exclude=_CORE_FIELDS | _PROFILE_ATTRIBUTES),
    )
    await chats.update_chat(deps_of(request), actor, request.path_params["chat_id"], changes)
    return ok()


@endpoint("chat.dissolve")
async def dissolve_chat(request: Request, actor: Actor) -> Response:
    await chats.dissolve_chat(deps_of(request), actor, request.path_params["chat_id"])
    return ok()


@endpoint("chat.members")
async def add_members(request: Request, actor: Actor) -> Response:
    query, found, unknown = await _id_list(request, actor)
    if unknown and query.succeed_type != 1:
        raise InvalidArgument(Reason.UNKNOWN_USERS, ",".join(unknown))
    await members.add_members(
        deps_of(request), actor, request.path_params["chat_id"], [u.id for u in found.values()]
    )
    return ok(
        {"invalid_id_list": [], "not_existed_id_list": unknown, "pending_approval_id_list": []}
    )


@endpoint("chat.members")
async def remove_members(request: Request, actor: Actor) -> Response:
    _query, found, unknown = await _id_list(request, actor)
    by_user = {u.id: given for given, u in found.items()}
    absent = await members.remove_members(
        deps_of(request), actor, request.path_params["chat_id"], list(by_user)
    )
    return ok({"invalid_id_list": unknown + [by_user[a] for a in absent]})


async def _id_list(
    request: Request, actor: Actor
) -> tuple[MemberIdTypeQuery, dict[str, User], list[str]]:
    """The members an ``id_list`` names: (query, given id → user, ids that name no one)."""
    query = parse_query(request, MemberIdTypeQuery, "chat")
    body = await parse_body(request, IdListBody, "chat")
    if not body.id_list:
        raise invalid("chat")
    found = await _users(request, actor, query.member_id_type, body.id_list, strict=False)
    return query, found, [i for i in body.id_list if i not in found]


@endpoint("chat.members")
async def list_members(request: Request, actor: Actor) -> Response:
    query = parse_query(request, MemberListQuery, "chat")
    deps = deps_of(request)
    listed = await members.list_members(deps, actor, request.path_params["chat_id"])
    people = await users.get_users(deps, actor.app_id, [m.user_id for m in listed])
    humans = [people[m.user_id] for m in listed if not people[m.user_id].is_bot]
    start = _offset(query.page_token)
    page = humans[start : start + query.page_size]
    has_more = start + query.page_size < len(humans)
    data: dict[str, Any] = {
        "items": [
            {
                "member_id_type": query.member_id_type,
                "member_id": render.user_id_as(u, query.member_id_type),
                "name": u.name,
                "tenant_key": render.tenant_key(actor.app),
            }
            for u in page
        ],
        "has_more": has_more,
        "member_total": len(humans),
    }
    if has_more:
        data["page_token"] = str(start + query.page_size)
    return ok(data)


@endpoint("chat.members")
async def is_in_chat(request: Request, actor: Actor) -> Response:
    view = await chats.get_chat(deps_of(request), actor, request.path_params["chat_id"])
    return ok({"is_in_chat": view.viewer is not None})


@endpoint("chat.managers")
async def add_managers(request: Request, actor: Actor) -> Response:
    return await _set_managers(request, actor, admin=True)


@endpoint("chat.managers")
async def delete_managers(request: Request, actor: Actor) -> Response:
    return await _set_managers(request, actor, admin=False)


async def _set_managers(request: Request, actor: Actor, *, admin: bool) -> Response:
    query = parse_query(request, MemberIdTypeQuery, "chat")
    body = await parse_body(request, ManagersBody, "chat")
    deps = deps_of(request)
    found = await _users(request, actor, query.member_id_type, body.manager_ids, strict=True)
    admins = await members.set_admins(
        deps, actor, request.path_params["chat_id"], [u.id for u in found.values()], admin=admin
    )
    people = await users.get_users(deps, actor.app_id, [m.user_id for m in admins])
    id_type = "open_id" if query.member_id_type == "app_id" else query.member_id_type
    return ok(
        {
            "chat_managers": [
                render.user_id_as(u, id_type) for u in people.values() if not u.is_bot
            ],
            "chat_bot_managers": [u.id for u in people.values() if u.is_bot],
        }
    )


async def _render_chat(
    request: Request, actor: Actor, chat_id: str, id_type: str
) -> dict[str, Any]:
    deps = deps_of(request)
    view = await chats.get_chat(deps, actor, chat_id)
    people = await users.get_users(deps, actor.app_id, [m.user_id for m in view.members])
    people.setdefault(actor.user.id, actor.user)
    if view.chat.owner_id and view.chat.owner_id not in people:
        people.update(await users.get_users(deps, actor.app_id, [view.chat.owner_id]))
    return render.chat(
        actor.app, view.chat, view.members, people, id_type, full=view.viewer is not None
    )


async def _one_user(request: Request, actor: Actor, id_type: str, value: str | None) -> User | None:
    if value is None:
        return None
    user = await users.lookup_user(deps_of(request), actor.app_id, id_type, value)
    if user is None:
        raise InvalidArgument(Reason.INVALID_OWNER_ID, value)
    return user


async def _users(
    request: Request, actor: Actor, id_type: str, values: list[str], *, strict: bool
) -> dict[str, User]:
    """Given id → user, for ids of ``id_type`` (``app_id`` names bots, the others people)."""
    found, unknown = await users.lookup_users(
        deps_of(request), actor.app_id, _lookup_kind(id_type), values
    )
    wrong_kind = [v for v, u in found.items() if u.is_bot != (id_type == "app_id")]
    if strict and (unknown or wrong_kind):
        raise InvalidArgument(Reason.UNKNOWN_USERS, ",".join(unknown + wrong_kind))
    return {v: u for v, u in found.items() if v not in wrong_kind}


def _lookup_kind(member_id_type: str) -> str:
    # A bot is a user of the app whose canonical id is its app id (``cli_…``).
    return "user_id" if member_id_type == "app_id" else member_id_type


def _add_member_permission(body: ChatSettings) -> Permission | None:
    """Feishu ties add_member_permission to share_card_permission; they must agree (232001)."""
    by_add = render.PERMISSION.get(body.add_member_permission or "")
    by_share = {"allowed": Permission.MEMBERS, "not_allowed": Permission.OWNER_ADMINS}.get(
        body.share_card_permission or ""
    )
    if by_add and by_share and by_add is not by_share:
        raise invalid("chat")
    return by_add or by_share


def _attributes(body: ChatSettings, *, exclude: set[str]) -> dict[str, Any]:
    return {k: v for k, v in body.model_dump(exclude_unset=True).items() if k not in exclude}


def _offset(page_token: str | None) -> int:
    if not page_token:
        return 0
    offset = parse_uint(page_token)
    if offset is None:
        raise invalid("chat")
    return offset

"""CreateGroup and InviteUsersIntoGroup (zim.md §6)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from chatpins.core.context import Actor
from chatpins.core.entities import ChatKind, Overflow
from chatpins.core.errors import ChatpinsError
from chatpins.core.services import chats, members, users
from chatpins.core.services.chats import NewChat
from chatpins.dialects.zim import schemas
from chatpins.dialects.zim.errors import error, from_core, lookup
from chatpins.dialects.zim.gateway import Call, Rate
from chatpins.dialects.zim.wire import batch, ok

MAX_MEMBERS = 100
MAX_ATTRIBUTES = 10
INVITE_RATE = Rate(1, "group_rate")  # InviteUsersIntoGroup: 1/s per group
# Message pins in a ZIM group (client SDK): at most 10, the 11th evicts the oldest.
ZIM_MAX_PINS = 10


async def create_group(call: Call) -> Response:
    body = call.body
    owner_id = schemas.require_id(body, "GroupOwner")
    group_id = body.get("GroupId", "") or ""
    if group_id:
        group_id = schemas.require_id(body, "GroupId")
        if group_id.startswith("#"):
            raise error("invalid_param", "GroupId must not start with '#'")
    name = schemas.str_field(body, "GroupName", 50)
    notice = schemas.str_field(body, "GroupNotice", 300)
    avatar = schemas.str_field(body, "GroupAvatar", 500)
    wanted = _user_ids(body, "UserId", high=None)
    attributes = _attributes(body)
    created = schemas.int_field(body, "CreateGroupTime", default=0, low=0)
    if created > call.deps.now(call.app):
        raise error("invalid_param", "CreateGroupTime is in the future")
    wanted = [u for u in dict.fromkeys(wanted) if u != owner_id]
    if len(wanted) > MAX_MEMBERS:
        raise error("too_many_members")
    owner = await call.actor(owner_id, "owner_not_registered")
    known, failures = await _registered(call, wanted)
    spec = NewChat(
        id=group_id or "#" + call.deps.ids.alnum(16),
        name=name,
        kind=ChatKind.GROUP,
        member_ids=known,
        max_pins=ZIM_MAX_PINS,
        overflow=Overflow.EVICT_OLDEST,
        attributes={"zim": {"notice": notice, "avatar": avatar, "attributes": attributes}},
    )
    try:
        chat = await chats.create_chat(call.deps, owner, spec)
    except ChatpinsError as exc:
        raise from_core(exc) from exc
    names = await users.get_users(call.deps, call.app.id, [owner_id, *known])
    joined = [{"UserId": u, "UserName": names[u].name} for u in [owner_id, *known]]
    return ok(GroupId=chat.id, Members=joined, ErrorUsers=failures)


async def invite_users(call: Call) -> Response:
    body = call.body
    operator_id = schemas.require_id(body, "FromUserId")
    group_id = schemas.require_id(body, "GroupId")
    infos = body.get("GroupMemberInfos")
    if infos:  # UserIds counts only when GroupMemberInfos is empty
        items = schemas.object_items(
            schemas.list_field(body, "GroupMemberInfos", high=MAX_MEMBERS, over="too_many_users"),
            "GroupMemberInfos",
        )
        for item in items:
            schemas.int_field(item, "EnterGroupTime", default=0, low=0)
            schemas.int_field(item, "IsInvite", default=0, choices=(0, 1))
        wanted = _user_ids({"UserIds": [i.get("UserId") for i in items]}, "UserIds", high=None)
    else:
        wanted = _user_ids(body, "UserIds", high=MAX_MEMBERS)
    wanted = [u for u in dict.fromkeys(wanted) if u != operator_id]
    if not wanted:
        raise error("invalid_param", "no user to invite")
    await call.hit(f"invite:{group_id}", INVITE_RATE)
    operator = await call.actor(operator_id)
    known, failures = await _registered(call, wanted)
    # Called even with nobody to add: the group and the operator's membership are checked
    # before the per-user outcome (660600001, 660600024).
    await _add(call, operator, group_id, known)
    return batch("ErrorUsers", failures, len(wanted))


async def _add(call: Call, operator: Actor, group_id: str, user_ids: list[str]) -> None:
    try:
        await members.add_members(call.deps, operator, group_id, user_ids)
    except ChatpinsError as exc:
        raise from_core(exc) from exc


def _user_ids(body: dict[str, Any], name: str, *, high: int | None) -> list[str]:
    """A list of ids; any malformed one fails the whole request (660000002)."""
    value = body.get(name, [])
    if value is None:
        value = []
    if not isinstance(value, list):
        raise error("invalid_param", f"{name} must be a list of strings")
    if high is not None and len(value) > high:
        raise error("too_many_users")
    for user_id in value:
        if schemas.id_problem(user_id) is not None:
            raise error("invalid_param", f"{name} holds an invalid UserId")
    return value


def _attributes(body: dict[str, Any]) -> list[dict[str, str]]:
    value = body.get("Attributes", [])
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_ATTRIBUTES:
        raise error("invalid_param", f"Attributes must be a list of at most {MAX_ATTRIBUTES}")
    result = []
    for item in schemas.object_items(value, "Attributes"):
        key = schemas.str_field(item, "Key", 16)
        if not key:
            raise error("invalid_param", "Attributes Key is required")
        result.append({"Key": key, "Value": schemas.str_field(item, "Value", 1024)})
    return result


async def _registered(call: Call, user_ids: list[str]) -> tuple[list[str], list[dict[str, Any]]]:
    """Split ids into registered users and ErrorUsers entries (660700015, unconfirmed)."""
    found = await users.get_users(call.deps, call.app.id, user_ids)
    code, _message = lookup("user_not_registered")
    known = [u for u in user_ids if u in found]
    return known, [{"UserId": u, "SubCode": code} for u in user_ids if u not in found]

"""Core additions made for IMKit, on each database: platform rooms, replaced pins touching the
message, token binding and revocation, message pages."""

from __future__ import annotations

import asyncio

import pytest

from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Message, Overflow, PinRights, Role, User
from chatpins.core.errors import Conflict, PermissionDenied, Unauthenticated
from chatpins.core.services import chat_details, chats, members, messages, pins, tokens, users


async def _platform(deps: Deps, bot: Actor) -> Actor:
    return Actor(bot.app, bot.user, "imkit", is_platform=True)


async def _user(deps: Deps, app_id: str, user_id: str) -> User:
    return (await users.upsert_user(deps, app_id, user_id, name=user_id.title())).user


async def _room(deps: Deps, platform: Actor, owner: str, members: list[str]) -> str:
    spec = chats.NewChat(
        id=deps.ids.hex(24),
        owner_id=owner,
        creator_joins=False,
        member_ids=members,
        pin_rights=PinRights.every(Role.ADMIN),
        max_pins=1,
        overflow=Overflow.EVICT_OLDEST,
    )
    return (await chats.create_chat(deps, platform, spec)).id


async def _send(deps: Deps, actor: Actor, chat_id: str, text: str) -> Message:
    new = messages.NewMessage(deps.ids.hex(24), "text", f'"{text}"', chat_rate_limited=False)
    return await messages.send_message(deps, actor, chat_id, new)


async def test_platform_room_and_replaced_pin_touches_the_message(deps: Deps, bot: Actor) -> None:
    platform = await _platform(deps, bot)
    owner = Actor(bot.app, await _user(deps, bot.app_id, "owner"), "imkit")
    room = await _room(deps, platform, "owner", [])
    detail = await chat_details.get_chat_detail(deps, platform, room)
    assert [m.user_id for m in detail.members] == ["owner"]  # the platform did not join
    first = await _send(deps, owner, room, "a")
    second = await _send(deps, owner, room, "b")
    await asyncio.sleep(0.005)
    _pin, read = await pins.pin_and_read(deps, owner, first.id)
    assert read.updated_at > first.updated_at
    await asyncio.sleep(0.005)
    await pins.pin_and_read(deps, platform, second.id)
    page = await messages.list_chat_messages(deps, owner, room, descending=False)
    by_id = {m.id: m for m in page.messages}
    assert page.pinned_ids == {second.id}
    assert by_id[first.id].updated_at > read.updated_at  # the replaced message changed too
    detail = await chat_details.get_chat_detail(deps, owner, room)
    assert [m.id for m in detail.pinned] == [second.id]


async def test_bound_token_conflicts_and_revocation(deps: Deps, bot: Actor) -> None:
    await _user(deps, bot.app_id, "bob")
    await _user(deps, bot.app_id, "eve")
    value = "tok-" + deps.ids.hex(16)
    await tokens.bind_user_token(deps, bot.app_id, "bob", "imkit", value, None)
    with pytest.raises(Conflict):
        await tokens.bind_user_token(deps, bot.app_id, "eve", "imkit", value, None)
    issued = await tokens.issue_user_token(deps, bot.app_id, "bob", "imkit")
    assert (await tokens.authenticate(deps, issued.value, "imkit")).user.id == "bob"
    assert await tokens.revoke_user_tokens(deps, bot.app_id, "bob", "imkit") == 2
    for token in (value, issued.value):
        with pytest.raises(Unauthenticated):
            await tokens.authenticate(deps, token, "imkit")


async def test_owner_may_leave_only_when_allowed(deps: Deps, bot: Actor) -> None:
    platform = await _platform(deps, bot)
    owner = Actor(bot.app, await _user(deps, bot.app_id, "owner"), "imkit")
    room = await _room(deps, platform, "owner", [])
    with pytest.raises(Conflict):
        await members.remove_members(deps, owner, room, ["owner"])
    await members.remove_members(deps, owner, room, ["owner"], owner_may_leave=True)
    detail = await chat_details.get_chat_detail(deps, platform, room)
    assert detail.chat.owner_id is None and detail.members == []
    with pytest.raises(PermissionDenied):
        await chat_details.get_chat_detail(deps, owner, room)

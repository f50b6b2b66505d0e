"""The permission rules in ``core.policies``, one behaviour per test, without a database."""

from __future__ import annotations

import dataclasses

import pytest

from chatpins.core import policies
from chatpins.core.context import Actor
from chatpins.core.entities import (
    App,
    Chat,
    ChatKind,
    Member,
    Permission,
    PinRight,
    PinRights,
    Role,
    User,
)
from chatpins.core.errors import Gone, PermissionDenied

APP = App(
    id="app_1",
    name="demo",
    created_at=0,
    feishu_app_id="cli_0123456789abcdef",
    feishu_secret_hash="",
)


def _chat(
    creator: str = "creator",
    *,
    transfer_role: Role = Role.OWNER,
    pin_rights: PinRights | None = None,
) -> Chat:
    return Chat(
        "app_1",
        "oc_1",
        ChatKind.GROUP,
        "chat",
        creator,
        0,
        transfer_role=transfer_role,
        pin_rights=pin_rights or PinRights(),
    )


def _member(user_id: str, role: Role = Role.MEMBER) -> Member:
    return Member("app_1", "oc_1", user_id, role, 0)


def _actor(app: App = APP, *, is_platform: bool = False) -> Actor:
    return Actor(app, User("app_1", "u", "u", False, 0, "", ""), "feishu", is_platform=is_platform)


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_are_managers(role: Role) -> None:
    assert policies.is_manager(_chat(), _member("someone", role))


def test_the_creator_is_a_manager_whatever_its_role() -> None:
    assert policies.is_manager(_chat(creator="bot"), _member("bot", Role.MEMBER))


def test_a_plain_member_or_an_outsider_is_no_manager() -> None:
    assert not policies.is_manager(_chat(), _member("someone"))
    assert not policies.is_manager(_chat(), None)


def test_an_owner_only_transfer_role_admits_the_owner_and_the_creator() -> None:
    room = _chat(creator="platform_bot", transfer_role=Role.OWNER)  # IMKit's rooms
    assert policies.may_transfer_ownership(room, _member("owner", Role.OWNER))
    assert policies.may_transfer_ownership(room, _member("platform_bot"))
    assert not policies.may_transfer_ownership(room, _member("admin", Role.ADMIN))


def test_an_admin_transfer_role_admits_managers_but_no_plain_member() -> None:
    chat = _chat(transfer_role=Role.ADMIN)  # Feishu's chats
    assert policies.may_transfer_ownership(chat, _member("admin", Role.ADMIN))
    assert policies.may_transfer_ownership(chat, _member("owner", Role.OWNER))
    assert not policies.may_transfer_ownership(chat, _member("member"))


def test_roles_are_ordered_member_admin_owner() -> None:
    assert Role.OWNER.at_least(Role.ADMIN) and Role.ADMIN.at_least(Role.MEMBER)
    assert Role.ADMIN.at_least(Role.ADMIN)
    assert not Role.MEMBER.at_least(Role.ADMIN) and not Role.ADMIN.at_least(Role.OWNER)


@pytest.mark.parametrize("right", list(PinRight))
def test_each_pin_right_follows_its_own_lowest_role(right: PinRight) -> None:
    """Raising one right to owner leaves the other rights with members."""
    rights = dataclasses.replace(PinRights(), **{right.value: Role.OWNER})
    chat = _chat(pin_rights=rights)
    assert not policies.may(right, chat, _member("admin", Role.ADMIN))
    assert policies.may(right, chat, _member("owner", Role.OWNER))
    for other in set(PinRight) - {right}:
        assert policies.may(other, chat, _member("someone"))


def test_no_pin_right_reaches_an_outsider() -> None:
    for right in PinRight:
        assert not policies.may(right, _chat(), None)


def test_a_pin_right_counts_roles_only_not_the_creator() -> None:
    chat = _chat(creator="bot", pin_rights=PinRights.every(Role.ADMIN))
    assert not policies.may(PinRight.PIN, chat, _member("bot"))


def test_the_platform_holds_every_pin_right() -> None:
    chat = _chat(pin_rights=PinRights.every(Role.OWNER))
    member = policies.platform_member(_actor(is_platform=True), chat)
    assert all(policies.may(right, chat, member) for right in PinRight)


def test_members_permission_allows_every_member_but_no_outsider() -> None:
    assert policies.allowed(Permission.MEMBERS, _chat(), _member("someone"))
    assert not policies.allowed(Permission.MEMBERS, _chat(), None)


def test_owner_admins_permission_counts_roles_only_not_the_creator() -> None:
    chat = _chat(creator="bot")
    assert policies.allowed(Permission.OWNER_ADMINS, chat, _member("o", Role.OWNER))
    assert policies.allowed(Permission.OWNER_ADMINS, chat, _member("a", Role.ADMIN))
    assert not policies.allowed(Permission.OWNER_ADMINS, chat, _member("bot"))


def test_the_platform_acts_as_the_chats_owner() -> None:
    member = policies.platform_member(_actor(is_platform=True), _chat())
    assert member.role is Role.OWNER and member.chat_id == "oc_1"


def test_a_dissolved_chat_is_gone() -> None:
    policies.require_live(_chat())
    with pytest.raises(Gone) as caught:
        policies.require_live(dataclasses.replace(_chat(), dissolved_at=5))
    assert caught.value.reason == "chat_dissolved"


def test_an_app_without_its_bot_may_do_nothing() -> None:
    app = dataclasses.replace(APP, bot_enabled=False)
    with pytest.raises(PermissionDenied) as caught:
        policies.require_app_capabilities(_actor(app))
    assert caught.value.reason == "bot_disabled"


def test_the_pin_scope_is_checked_only_where_asked() -> None:
    app = dataclasses.replace(APP, pin_scope_granted=False)
    policies.require_app_capabilities(_actor(app))
    with pytest.raises(PermissionDenied) as caught:
        policies.require_app_capabilities(_actor(app), pin_scope=True)
    assert caught.value.reason == "missing_pin_scope"

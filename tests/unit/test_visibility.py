"""The one visibility rule for messages (``policies.can_see``) and the page reader built on it."""

from __future__ import annotations

from typing import Any, cast

import pytest

from chatpins.core import policies
from chatpins.core.context import Actor
from chatpins.core.entities import App, Member, Message, Role, User
from chatpins.core.ports import UnitOfWork
from chatpins.core.services.messages import visible_page

APP = App(
    id="app_1",
    name="demo",
    created_at=0,
    feishu_app_id="cli_0123456789abcdef",
    feishu_secret_hash="",
)


def _user(user_id: str, *, is_bot: bool = False) -> User:
    return User("app_1", user_id, user_id, is_bot, 0, "", "")


def _actor(user_id: str, *, is_bot: bool = False, is_platform: bool = False) -> Actor:
    return Actor(APP, _user(user_id, is_bot=is_bot), "imkit", is_platform=is_platform)


def _member(user_id: str) -> Member:
    return Member("app_1", "room", user_id, Role.MEMBER, 0)


def _message(n: int, visible_to: list[str] | None = None, sender: str = "carol") -> Message:
    return Message(
        "app_1", f"m{n:02d}", "room", sender, "text", f'"{n}"', n, n, visible_to=visible_to
    )


RESTRICTED = _message(1, visible_to=["alice"])


def test_an_unrestricted_message_is_visible_to_every_member() -> None:
    message = _message(1)
    assert message.visible_for("bob")
    assert policies.can_see(message, _member("bob"), _actor("bob"))


@pytest.mark.parametrize(
    ("user_id", "expected"), [("alice", True), ("carol", True), ("bob", False)]
)
def test_a_restricted_message_is_visible_to_its_audience_and_sender(
    user_id: str, expected: bool
) -> None:
    assert RESTRICTED.visible_for(user_id) is expected
    assert policies.can_see(RESTRICTED, _member(user_id), _actor(user_id)) is expected


def test_an_empty_audience_leaves_only_the_sender() -> None:
    message = _message(1, visible_to=[])
    assert not message.visible_for("alice")
    assert message.visible_for("carol")


def test_the_app_itself_reads_every_message() -> None:
    platform = _actor(APP.bot_user_id, is_bot=True, is_platform=True)
    tenant_bot = _actor(APP.bot_user_id, is_bot=True)  # Feishu's tenant token
    for actor in (platform, tenant_bot):
        assert policies.can_see(RESTRICTED, _member(actor.user.id), actor)


def test_a_robot_user_is_bound_by_the_restriction() -> None:
    assert not policies.can_see(RESTRICTED, _member("robo"), _actor("robo", is_bot=True))


def test_a_non_member_sees_nothing_not_even_its_own_audience() -> None:
    assert not policies.can_see(_message(1), None, _actor("bob"))
    assert not policies.can_see(RESTRICTED, None, _actor("alice"))
    assert not policies.can_see(RESTRICTED, None, _actor(APP.bot_user_id, is_platform=True))


def _key(m: Message) -> tuple[int, str]:
    return (m.created_at, m.id)


class _Messages:
    """Storage's ``messages.page`` over a list: (created_at, id) order, exclusive cursors."""

    def __init__(self, stored: list[Message]) -> None:
        self.stored = sorted(stored, key=_key)
        self.calls = 0

    async def page(
        self,
        app_id: str,
        chat_id: str,
        *,
        before: Message | None,
        after: Message | None,
        since: int | None,
        time_field: str,
        descending: bool,
        limit: int,
        now: int,
    ) -> tuple[list[Message], int]:
        self.calls += 1
        rows = [m for m in self.stored if since is None or getattr(m, time_field) > since]
        total = len(rows)
        if before is not None:
            rows = [m for m in rows if _key(m) < _key(before)]
        if after is not None:
            rows = [m for m in rows if _key(m) > _key(after)]
        if descending:
            rows.reverse()
        return rows[:limit], total


class _Uow:
    def __init__(self, messages: _Messages) -> None:
        self.messages = messages


async def _page(stored: list[Message], user_id: str, **kwargs: Any) -> tuple[list[str], int]:
    uow = cast(UnitOfWork, _Uow(_Messages(stored)))
    found, total = await visible_page(
        uow, _actor(user_id), _member(user_id), "room", now=0, **kwargs
    )
    return [m.id for m in found], total


# m01..m10, of which m03..m08 are for alice only.
CHAT = [_message(n, ["alice"] if 3 <= n <= 8 else None) for n in range(1, 11)]


async def test_hidden_messages_never_shorten_a_page() -> None:
    assert await _page(CHAT, "bob", limit=3) == (["m10", "m09", "m02"], 10)
    assert await _page(CHAT, "bob", limit=3, descending=False) == (["m01", "m02", "m09"], 10)
    assert await _page(CHAT, "alice", limit=3) == (["m10", "m09", "m08"], 10)


async def test_paging_on_from_the_last_visible_message_misses_nothing() -> None:
    seen: list[str] = []
    cursor: Message | None = None
    while True:
        ids, _total = await _page(CHAT, "bob", limit=1, before=cursor)
        if not ids:
            break
        seen += ids
        cursor = next(m for m in CHAT if m.id == ids[0])
    assert seen == ["m10", "m09", "m02", "m01"]


async def test_a_page_is_short_only_where_the_chat_ends() -> None:
    assert await _page(CHAT, "bob", limit=3, before=CHAT[8]) == (["m02", "m01"], 10)
    assert await _page(CHAT, "bob", limit=3, after=CHAT[1], descending=False) == (
        ["m09", "m10"],
        10,
    )


async def test_a_non_member_reads_one_page_and_gets_nothing() -> None:
    messages = _Messages(CHAT)
    uow = cast(UnitOfWork, _Uow(messages))
    found, _total = await visible_page(uow, _actor("bob"), None, "room", limit=5, now=0)
    assert found == []
    assert messages.calls == 1

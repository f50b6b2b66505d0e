"""One chat, every dialect (docs/native.md, introduction and "Pin policy"): a Feishu pin is in
the native list and history; a native cap or right holds when Feishu pins; an IMKit room's
one-pin rule is a native policy, and a native pin replaces the IMKit pin."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from lark_oapi.api.im.v1 import UpdateChatRequest, UpdateChatRequestBody

from tests.e2e.feishu_client import Feishu
from tests.e2e.imkit.conftest import IMKit, ok
from tests.e2e.native.client import RIGHTS, NativeApp, expect, expect_error

PIN_LIMIT_MSG = "The number of pinned messages exceeds the limit."


def _permissions(role: str) -> dict[str, str]:
    return dict.fromkeys(RIGHTS, role)


# ---- Feishu


def test_feishu_pin_is_in_the_native_list_and_history(native: NativeApp, feishu: Feishu) -> None:
    feishu.add_users("alice", "bob")
    chat_id = feishu.create_chat(owner="alice", members=["bob"])
    message = feishu.send_text(chat_id, "pinned through Feishu")
    feishu.pin_ok(message, as_user="bob")

    listing = native.api.pins(chat_id)
    [pin] = listing["pins"]
    assert listing["version"] == 1
    assert (pin["message_id"], pin["position"], pin["pinned_by"], pin["dialect"]) == (
        message,
        0,
        "bob",
        "feishu",
    )
    [row] = native.api.history(chat_id)
    assert (row["message_id"], row["action"], row["actor"], row["dialect"]) == (
        message,
        "added",
        "bob",
        "feishu",
    )
    assert row["version"] == 1

    # Unpinned natively, it is gone from Feishu's list too.
    assert native.api.unpin(chat_id, message) == 2
    assert feishu.pinned_ids(chat_id) == []
    assert native.api.history(chat_id)[-1]["dialect"] == "native"


def test_native_pins_are_listed_by_feishu(native: NativeApp, feishu: Feishu) -> None:
    feishu.add_user("alice")
    chat_id = feishu.create_chat(owner="alice")
    a, b = feishu.send_text(chat_id, "a"), feishu.send_text(chat_id, "b")
    native.api.pin(chat_id, a)
    native.as_user("alice").pin(chat_id, b)
    assert sorted(feishu.pinned_ids(chat_id)) == sorted([a, b])


@pytest.mark.parametrize(("setting", "role"), [("all_members", "member"), ("only_owner", "admin")])
def test_feishu_chat_policy_follows_pin_manage_setting(
    native: NativeApp, feishu: Feishu, setting: str, role: str
) -> None:
    feishu.add_user("alice")
    chat_id = feishu.create_chat(owner="alice", pin_manage_setting=setting)
    chat = native.api.chat(chat_id)
    assert chat["dialect"] == "feishu"
    assert chat["owner"] == "alice"
    assert chat["pin_policy"]["permissions"] == _permissions(role)


def test_feishu_setting_change_shows_in_the_native_policy(
    native: NativeApp, feishu: Feishu
) -> None:
    feishu.add_user("alice")
    chat_id = feishu.create_chat(members=["alice"])  # the app's bot owns it
    assert native.api.chat(chat_id)["pin_policy"]["permissions"] == _permissions("member")
    body = UpdateChatRequestBody.builder().pin_manage_setting("only_owner").build()
    request = UpdateChatRequest.builder().chat_id(chat_id).request_body(body).build()
    feishu.expect_ok(feishu.client.im.v1.chat.update(request))
    assert native.api.chat(chat_id)["pin_policy"]["permissions"] == _permissions("admin")


def test_native_cap_holds_when_feishu_pins(native: NativeApp, feishu: Feishu) -> None:
    feishu.add_users("alice", "bob")
    chat_id = feishu.create_chat(owner="alice", members=["bob"])
    a, b, c = feishu.send_texts(chat_id, 3)
    policy = native.api.set_policy(chat_id, max_pins=2, overflow="reject")
    assert (policy["max_pins"], policy["overflow"]) == (2, "reject")

    feishu.pin_ok(a, as_user="bob")
    feishu.pin_ok(b, as_user="bob")
    before = native.api.pins(chat_id)
    resp = feishu.pin(c, as_user="bob")
    feishu.expect_error(resp, 230073)
    assert resp.msg == PIN_LIMIT_MSG
    assert native.api.pins(chat_id) == before
    assert sorted(feishu.pinned_ids(chat_id)) == sorted([a, b])
    # The native refusal is the same rule.
    expect_error(native.api.pin_request(chat_id, c), 422, "pin_limit")


def test_native_eviction_holds_when_feishu_pins(native: NativeApp, feishu: Feishu) -> None:
    feishu.add_user("alice")
    chat_id = feishu.create_chat(owner="alice")
    a, b, c = feishu.send_texts(chat_id, 3)
    native.api.set_policy(chat_id, max_pins=2, overflow="evict_oldest")
    for message in (a, b, c):
        feishu.pin_ok(message, as_user="alice")
    assert native.api.pinned_ids(chat_id) == [c, b]
    assert native.api.history_of(chat_id, a) == ["added", "evicted"]
    evicted = [r for r in native.api.history(chat_id) if r["action"] == "evicted"]
    assert [(r["message_id"], r["dialect"]) for r in evicted] == [(a, "feishu")]


def test_native_permissions_hold_when_feishu_pins(native: NativeApp, feishu: Feishu) -> None:
    feishu.add_users("alice", "bob")
    chat_id = feishu.create_chat(owner="alice", members=["bob"])  # all_members: bob may pin
    a, b = feishu.send_texts(chat_id, 2)
    feishu.pin_ok(a, as_user="bob")
    native.api.set_policy(chat_id, permissions=_permissions("admin"))

    feishu.expect_error(feishu.pin(b, as_user="bob"), 230046)
    feishu.expect_error(feishu.unpin(a, as_user="bob"), 230046)
    assert native.api.pinned_ids(chat_id) == [a]
    assert native.api.history_of(chat_id, b) == []
    # The owner still may.
    feishu.pin_ok(b, as_user="alice")
    assert native.api.pinned_ids(chat_id) == [b, a]


# ---- IMKit


@pytest.fixture
def imkit(native: NativeApp) -> Iterator[IMKit]:
    """The native fixture's app seen through IMKit (its platform key and client key)."""
    with httpx.Client(base_url=native.base_url, timeout=30.0) as http:
        yield IMKit(native.base_url, native.admin, native.app, http)


@pytest.fixture
def room(imkit: IMKit) -> str:
    """Group room `room-1`: owner `owner`, manager `admin`, plain member `member`."""
    for user in ("owner", "admin", "member"):
        imkit.user(user)
    imkit.room("room-1", "owner", ["admin", "member"])
    ok(
        imkit.platform(
            "PUT", "/rooms/room-1/member/admin", json={"property": "role", "value": "admin"}
        )
    )
    return "room-1"


def test_imkit_room_shows_its_one_pin_rule_as_policy(native: NativeApp, room: str) -> None:
    chat = native.api.chat(room)
    assert chat["dialect"] == "imkit"
    assert chat["pin_policy"] == {
        "max_pins": 1,
        "overflow": "evict_oldest",
        "permissions": _permissions("admin"),
    }
    roles = native.api.roles(room)
    assert (roles["owner"], roles["admin"], roles["member"]) == ("owner", "admin", "member")


def test_native_pin_replaces_the_imkit_pin(native: NativeApp, imkit: IMKit, room: str) -> None:
    first = imkit.send("member", room, "first")["_id"]
    second = imkit.send("member", room, "second")["_id"]
    ok(imkit.as_user("owner", "POST", f"/messages/{first}/pin"))
    [pin] = native.api.pins(room)["pins"]
    assert (pin["message_id"], pin["dialect"], pin["pinned_by"]) == (first, "imkit", "owner")

    created = expect(native.as_user("admin").pin_request(room, second), 201)
    assert created["evicted"] == [first]
    assert native.api.pinned_ids(room) == [second]
    assert imkit.pinned_ids(room) == [second]
    assert imkit.get_room(room)["pinnedMessage"]["_id"] == second
    assert native.api.history_of(room, first) == ["added", "replaced"]
    added = [r for r in native.api.history(room) if r["action"] == "added"]
    assert [(r["message_id"], r["dialect"]) for r in added] == [
        (first, "imkit"),
        (second, "native"),
    ]


def test_imkit_rule_refuses_a_native_member_pin(native: NativeApp, imkit: IMKit, room: str) -> None:
    message = imkit.send("member", room, "mine")["_id"]
    reply = native.as_user("member").pin_request(room, message)
    expect_error(reply, 403, "may_not_pin")
    assert native.api.pins(room)["pins"] == []
    assert imkit.pinned_ids(room) == []


def test_native_policy_change_holds_when_imkit_pins(
    native: NativeApp, imkit: IMKit, room: str
) -> None:
    native.api.set_policy(room, permissions=_permissions("member"))
    message = imkit.send("member", room, "members may pin now")["_id"]
    ok(imkit.as_user("member", "POST", f"/messages/{message}/pin"))
    assert native.api.pinned_ids(room) == [message]
    assert native.api.pins(room)["pins"][0]["pinned_by"] == "member"

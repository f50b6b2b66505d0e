"""A message restricted with ``visible_to`` stays hidden on every read (docs/imkit.md,
"Restricted messages"): room get, room list, message list and pin calls show it to its
audience, its sender and the platform only — pinned or not. Feishu reads follow the same rule.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from tests.e2e.feishu_client import Feishu
from tests.e2e.imkit.conftest import IMKit, expect_error, ok

ROOM = "secret-room"


def _restrict(imkit: IMKit, message_id: str, visible_to: list[str]) -> None:
    reply = imkit.admin.patch(
        f"/v1/apps/{imkit.app['id']}/messages/{message_id}", json={"visible_to": visible_to}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["visible_to"] == visible_to


@pytest.fixture
def hidden(imkit: IMKit) -> tuple[IMKit, dict[str, Any], dict[str, Any], str]:
    """Room ``secret-room``: carol owns it, alice and bob (a manager) are members. carol sends
    an ordinary message, then one restricted to alice, and pins the restricted one.
    Returns the app, the ordinary message, the restricted message and its text."""
    for user in ("carol", "alice", "bob"):
        imkit.user(user)
    imkit.room(ROOM, "carol", ["alice", "bob"])
    ok(
        imkit.platform(
            "PUT", f"/rooms/{ROOM}/member/bob", json={"property": "role", "value": "admin"}
        )
    )
    earlier = imkit.send("carol", ROOM, "for everyone")
    text = f"for-alice-only-{secrets.token_hex(8)}"
    restricted = imkit.send("carol", ROOM, text)
    _restrict(imkit, restricted["_id"], ["alice"])
    assert ok(imkit.as_user("carol", "POST", f"/messages/{restricted['_id']}/pin"))["pinned"]
    return imkit, earlier, restricted, text


def _room_in_list(reply: httpx.Response) -> dict[str, Any]:
    rooms = [r for r in ok(reply)["data"] if r["_id"] == ROOM]
    assert len(rooms) == 1, reply.text
    return rooms[0]


def _list(imkit: IMKit, user: str | None, **params: Any) -> httpx.Response:
    path = f"/rooms/{ROOM}/messages/v3"
    if user is None:
        return imkit.platform("GET", path, params=params)
    return imkit.as_user(user, "GET", path, params=params)


def _texts(reply: httpx.Response) -> list[dict[str, Any]]:
    """The listed chat messages, without the room's ``assignAdmin`` system message."""
    return [m for m in ok(reply)["data"] if m["messageType"] == "text"]


def test_room_get_and_list_hide_a_pin_restricted_from_the_caller(hidden) -> None:
    imkit, earlier, restricted, text = hidden
    for reply in (
        imkit.as_user("bob", "GET", f"/rooms/{ROOM}"),
        imkit.as_user("bob", "GET", "/rooms"),
    ):
        assert reply.status_code == 200, reply.text
        assert text not in reply.text
        assert restricted["_id"] not in reply.text
    room = ok(imkit.as_user("bob", "GET", f"/rooms/{ROOM}"))
    listed = _room_in_list(imkit.as_user("bob", "GET", "/rooms"))
    for seen in (room, listed):
        # Nothing bob may see is pinned: the room reads as unpinned, not as a blanked pin.
        assert seen["pinnedMessage"] is None
        # The last message bob may see is the one his own message list starts with.
        assert seen["lastMessage"]["_id"] == earlier["_id"]
        assert seen["lastMessage"]["message"] == "for everyone"


@pytest.mark.parametrize("user", ["alice", "carol", None], ids=["audience", "sender", "platform"])
def test_audience_sender_and_platform_see_the_pinned_message(hidden, user) -> None:
    imkit, _earlier, restricted, text = hidden
    if user is None:
        room = ok(imkit.platform("GET", f"/rooms/{ROOM}"))
        listed = _room_in_list(imkit.platform("GET", "/rooms"))
    else:
        room = ok(imkit.as_user(user, "GET", f"/rooms/{ROOM}"))
        listed = _room_in_list(imkit.as_user(user, "GET", "/rooms"))
    for seen in (room, listed):
        assert seen["pinnedMessage"]["_id"] == restricted["_id"]
        assert seen["pinnedMessage"]["message"] == text
        assert seen["pinnedMessage"]["pinned"] is True
        assert seen["lastMessage"]["_id"] == restricted["_id"]
        assert seen["lastMessage"]["pinned"] is True
    data = _texts(_list(imkit, user))
    assert [m["message"] for m in data] == [text, "for everyone"]
    assert [m["pinned"] for m in data] == [True, False]


def test_message_list_skips_a_restricted_message_without_a_short_page(hidden) -> None:
    imkit, earlier, restricted, text = hidden
    full = _list(imkit, "bob")
    assert text not in full.text
    assert [m["_id"] for m in _texts(full)] == [earlier["_id"]]
    # The newest message is hidden from bob: a one-message page is still his newest visible
    # one, not an empty page that would end his scroll.
    newest = ok(_list(imkit, "bob", limit=1))["data"]
    assert [m["_id"] for m in newest] == [earlier["_id"]]
    oldest_first = ok(_list(imkit, "bob", limit=1, sortOrder="asc", afterMessage=earlier["_id"]))
    assert oldest_first["data"] == []
    assert ok(_list(imkit, "alice", limit=1))["data"][0]["_id"] == restricted["_id"]


def test_pin_calls_do_not_return_a_hidden_message(hidden) -> None:
    imkit, _earlier, restricted, text = hidden
    # bob manages the room, but may not read the message: unpinning it is refused as for a
    # message of a room he is not in, and the reply carries nothing of it.
    for method in ("DELETE", "POST"):
        reply = imkit.as_user("bob", method, f"/messages/{restricted['_id']}/pin")
        expect_error(reply, 403, "NOT_ROOM_MEMBER")
        assert text not in reply.text
    assert (
        ok(imkit.as_user("alice", "GET", f"/rooms/{ROOM}"))["pinnedMessage"]["_id"]
        == (restricted["_id"])
    )


def test_a_robot_user_is_bound_by_the_restriction(hidden) -> None:
    """Only the app itself reads everything; a robot user with a client token is a user."""
    imkit, _earlier, _restricted, text = hidden
    app_id = imkit.app["id"]
    created = imkit.admin.post(f"/v1/apps/{app_id}/users", json={"id": "robo", "is_bot": True})
    assert created.status_code == 201, created.text
    issued = imkit.admin.post(
        f"/v1/apps/{app_id}/tokens", json={"user_id": "robo", "dialect": "imkit"}
    )
    assert issued.status_code == 201, issued.text
    imkit.tokens["robo"] = issued.json()["token"]
    ok(imkit.platform("POST", f"/rooms/{ROOM}/members", json={"invitees": ["robo"]}))
    room = ok(imkit.as_user("robo", "GET", f"/rooms/{ROOM}"))
    assert room["pinnedMessage"] is None
    assert text not in _list(imkit, "robo").text


def test_widening_the_audience_shows_the_pin_again(hidden) -> None:
    imkit, _earlier, restricted, text = hidden
    assert ok(imkit.as_user("bob", "GET", f"/rooms/{ROOM}"))["pinnedMessage"] is None
    _restrict(imkit, restricted["_id"], ["alice", "bob"])
    pinned = ok(imkit.as_user("bob", "GET", f"/rooms/{ROOM}"))["pinnedMessage"]
    assert pinned["_id"] == restricted["_id"] and pinned["message"] == text


def test_feishu_reads_follow_the_same_rule(feishu: Feishu) -> None:
    """Feishu's pin list carries no message content: bob still sees that the chat has a pin
    (as Feishu's 230050 presumes: an operator may know a message id it cannot read); reading
    the message answers 230050 (feishu.md §6.8)."""
    feishu.add_users("alice", "bob")
    chat_id, message_id = feishu.chat_with_message(members=["alice", "bob"])
    feishu.patch_message(message_id, visible_to=["alice"])
    feishu.pin_ok(message_id)
    assert feishu.pinned_ids(chat_id, as_user="bob") == [message_id]
    listed = feishu.list_pins(chat_id, as_user="bob")
    raw_items = listed.raw.content.decode()
    assert "hello" not in raw_items
    get = f"/open-apis/im/v1/messages/{message_id}"
    bob = httpx.get(
        feishu.base_url + get, headers={"Authorization": f"Bearer {feishu.user_token('bob')}"}
    )
    feishu.expect_error(bob, 230050)
    assert "hello" not in bob.text
    alice = httpx.get(
        feishu.base_url + get, headers={"Authorization": f"Bearer {feishu.user_token('alice')}"}
    )
    assert alice.status_code == 200 and alice.json()["code"] == 0, alice.text
    assert alice.json()["data"]["items"][0]["message_id"] == message_id

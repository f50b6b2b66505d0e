"""Pin and unpin (imkit.md §7): the whole message back, one pin per room, check order."""

from __future__ import annotations

import time

from tests.e2e.imkit.conftest import IMKit, expect_error, ok

MESSAGE_FIELDS = {
    "_id",
    "id",
    "appID",
    "room",
    "message",
    "messageType",
    "sender",
    "pinned",
    "messageTimeMS",
    "createdAtMS",
    "updatedAtMS",
}


def _is_ms(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and len(str(value)) == 13


def test_owner_pins_and_gets_the_whole_message(demo: IMKit) -> None:
    sent = demo.send("member", "demo-room", "重要公告:明天下午兩點開會")
    time.sleep(0.01)
    pinned = ok(demo.as_user("owner", "POST", f"/messages/{sent['_id']}/pin"))
    assert set(pinned) >= MESSAGE_FIELDS
    assert pinned["_id"] == pinned["id"] == sent["_id"]
    assert pinned["room"] == "demo-room"
    assert pinned["message"] == "重要公告:明天下午兩點開會"
    assert pinned["messageType"] == "text"
    assert pinned["pinned"] is True
    assert pinned["sender"]["_id"] == pinned["sender"]["id"] == "member"
    assert pinned["sender"]["nickname"] == "Member"
    assert pinned["sender"]["isRobot"] is False
    assert _is_ms(pinned["sender"]["lastLoginTimeMS"]) or pinned["sender"]["lastLoginTimeMS"] == 0
    for key in ("messageTimeMS", "createdAtMS", "updatedAtMS"):
        assert _is_ms(pinned[key]), (key, pinned[key])
    assert pinned["updatedAtMS"] > sent["updatedAtMS"]
    assert pinned["appID"] == sent["appID"]
    room = demo.get_room("demo-room")
    assert room["pinnedMessage"]["_id"] == sent["_id"]
    assert room["pinnedMessage"]["pinned"] is True


def test_admin_and_platform_may_pin(demo: IMKit) -> None:
    first = demo.send("member", "demo-room", "one")
    second = demo.send("member", "demo-room", "two")
    assert ok(demo.as_user("admin", "POST", f"/messages/{first['_id']}/pin"))["pinned"] is True
    assert ok(demo.platform("POST", f"/messages/{second['_id']}/pin"))["pinned"] is True
    assert demo.pinned_ids("demo-room") == [second["_id"]]


def test_pinning_another_message_replaces_the_pin(demo: IMKit) -> None:
    first = demo.send("member", "demo-room", "first")
    second = demo.send("member", "demo-room", "second")
    pinned_first = ok(demo.as_user("owner", "POST", f"/messages/{first['_id']}/pin"))
    time.sleep(0.01)
    ok(demo.as_user("owner", "POST", f"/messages/{second['_id']}/pin"))
    assert demo.get_room("demo-room")["pinnedMessage"]["_id"] == second["_id"]
    by_id = {m["_id"]: m for m in demo.messages("demo-room")}
    assert by_id[first["_id"]]["pinned"] is False
    assert by_id[second["_id"]]["pinned"] is True
    # The replaced message changed too: its updatedAtMS advanced.
    assert by_id[first["_id"]]["updatedAtMS"] > pinned_first["updatedAtMS"]


def test_repin_of_the_pinned_message_changes_nothing(demo: IMKit) -> None:
    sent = demo.send("member", "demo-room", "x")
    first = ok(demo.as_user("owner", "POST", f"/messages/{sent['_id']}/pin"))
    time.sleep(0.01)
    again = ok(demo.as_user("owner", "POST", f"/messages/{sent['_id']}/pin"))
    assert again == first


def test_unpin_returns_the_message_unpinned_and_clears_the_room(demo: IMKit) -> None:
    sent = demo.send("member", "demo-room", "x")
    pinned = ok(demo.as_user("owner", "POST", f"/messages/{sent['_id']}/pin"))
    time.sleep(0.01)
    unpinned = ok(demo.as_user("admin", "DELETE", f"/messages/{sent['_id']}/pin"))
    assert unpinned["pinned"] is False
    assert unpinned["_id"] == sent["_id"]
    assert unpinned["updatedAtMS"] > pinned["updatedAtMS"]
    assert demo.get_room("demo-room")["pinnedMessage"] is None
    # Unpinning a message that is not pinned: 200, nothing changes.
    again = ok(demo.as_user("owner", "DELETE", f"/messages/{sent['_id']}/pin"))
    assert again == unpinned


def test_pin_without_body_with_empty_object_or_null(demo: IMKit) -> None:
    sent = demo.send("member", "demo-room", "x")
    path = f"/messages/{sent['_id']}/pin"
    ok(
        demo.as_user(
            "owner", "POST", path, content=b"{}", headers={"Content-Type": "application/json"}
        )
    )
    ok(
        demo.as_user(
            "owner", "POST", path, content=b"null", headers={"Content-Type": "application/json"}
        )
    )
    ok(demo.as_user("owner", "DELETE", path + "/"))
    assert demo.get_room("demo-room")["pinnedMessage"] is None


def test_plain_member_may_not_pin_or_unpin(demo: IMKit) -> None:
    sent = demo.send("member", "demo-room", "x")
    expect_error(
        demo.as_user("member", "POST", f"/messages/{sent['_id']}/pin"),
        403,
        "INSUFFICIENT_PERMISSIONS",
    )
    assert demo.get_room("demo-room")["pinnedMessage"] is None
    ok(demo.as_user("owner", "POST", f"/messages/{sent['_id']}/pin"))
    expect_error(
        demo.as_user("member", "DELETE", f"/messages/{sent['_id']}/pin"),
        403,
        "INSUFFICIENT_PERMISSIONS",
    )
    assert demo.pinned_ids("demo-room") == [sent["_id"]]


def test_non_member_gets_not_room_member(demo: IMKit) -> None:
    sent = demo.send("member", "demo-room", "x")
    expect_error(
        demo.as_user("outsider", "POST", f"/messages/{sent['_id']}/pin"), 403, "NOT_ROOM_MEMBER"
    )
    expect_error(
        demo.as_user("outsider", "DELETE", f"/messages/{sent['_id']}/pin"), 403, "NOT_ROOM_MEMBER"
    )
    assert demo.get_room("demo-room")["pinnedMessage"] is None


def test_unknown_message_is_not_found(demo: IMKit) -> None:
    for method in ("POST", "DELETE"):
        expect_error(
            demo.as_user("owner", method, "/messages/5f890cf37d980e06f6aaf349/pin"),
            404,
            "MESSAGE_NOT_FOUND",
            "Message not found",
        )


def test_message_of_another_app_is_not_found(demo: IMKit, imkit_factory) -> None:
    other = imkit_factory()
    other.user("owner")
    other.room("demo-room", "owner", [])
    theirs = other.send("owner", "demo-room", "theirs")
    # Not found, for the outsider and the platform alike: not "not a member", not "no role".
    for reply in (
        demo.as_user("owner", "POST", f"/messages/{theirs['_id']}/pin"),
        demo.platform("POST", f"/messages/{theirs['_id']}/pin"),
        demo.platform("DELETE", f"/messages/{theirs['_id']}/pin"),
    ):
        expect_error(reply, 404, "MESSAGE_NOT_FOUND", "Message not found")
    assert other.get_room("demo-room")["pinnedMessage"] is None


def test_check_order_not_found_before_membership_before_role(demo: IMKit) -> None:
    sent = demo.send("member", "demo-room", "x")
    # Unknown message: 404 even for an outsider.
    expect_error(
        demo.as_user("outsider", "POST", "/messages/000000000000000000000000/pin"),
        404,
        "MESSAGE_NOT_FOUND",
        "Message not found",
    )
    # Outsider on an existing message: membership before role.
    expect_error(
        demo.as_user("outsider", "POST", f"/messages/{sent['_id']}/pin"), 403, "NOT_ROOM_MEMBER"
    )


def test_credentials_are_checked_before_the_message(demo: IMKit) -> None:
    path = "/messages/000000000000000000000000/pin"
    expect_error(demo.http.post(path), 403, "INVALID_CLIENT_KEY")
    expect_error(
        demo.http.post(path, headers={"IM-CLIENT-KEY": demo.client_key, "IM-Authorization": "x"}),
        401,
        "INVALID_TOKEN",
    )
    expect_error(demo.http.post(path, headers={"IM-API-KEY": "bogus"}), 401, "INVALID_API_KEY")


def test_recalled_message_cannot_be_pinned_and_recall_clears_the_pin(demo: IMKit) -> None:
    sent = demo.send("member", "demo-room", "x")
    ok(demo.as_user("owner", "POST", f"/messages/{sent['_id']}/pin"))
    body = {"_id": sent["_id"], "messageType": "recall"}
    recalled = ok(demo.as_user("member", "POST", "/rooms/demo-room/message", json=body))
    assert recalled["messageType"] == "recall"
    assert recalled["pinned"] is False
    assert demo.get_room("demo-room")["pinnedMessage"] is None
    expect_error(
        demo.as_user("owner", "POST", f"/messages/{sent['_id']}/pin"), 400, "MESSAGE_RECALLED"
    )
    assert demo.get_room("demo-room")["pinnedMessage"] is None


def test_any_message_type_may_be_pinned(demo: IMKit) -> None:
    body = {"message": {"url": "https://x/y.png", "w": 10}, "messageType": "image"}
    sent = ok(demo.as_user("member", "POST", "/rooms/demo-room/message", json=body))
    pinned = ok(demo.as_user("owner", "POST", f"/messages/{sent['_id']}/pin"))
    assert pinned["message"] == {"url": "https://x/y.png", "w": 10}
    assert pinned["messageType"] == "image"


def test_either_member_of_a_direct_room_may_pin(imkit: IMKit) -> None:
    imkit.user("a")
    imkit.user("b")
    room = ok(
        imkit.platform(
            "POST", "/rooms", json={"_id": "dm", "roomType": "direct", "members": ["a", "b"]}
        )
    )
    assert room["roomType"] == "direct" and room["owner"] is None
    first = imkit.send("a", "dm", "hi")
    second = imkit.send("b", "dm", "yo")
    ok(imkit.as_user("b", "POST", f"/messages/{first['_id']}/pin"))
    ok(imkit.as_user("a", "POST", f"/messages/{second['_id']}/pin"))
    assert imkit.pinned_ids("dm") == [second["_id"]]


def test_pinned_message_shows_on_every_room_read(demo: IMKit) -> None:
    sent = demo.send("member", "demo-room", "x")
    ok(demo.as_user("owner", "POST", f"/messages/{sent['_id']}/pin"))
    listed = ok(demo.as_user("member", "GET", "/rooms"))["data"]
    assert [r["pinnedMessage"]["_id"] for r in listed] == [sent["_id"]]
    assert ok(demo.as_user("member", "GET", "/rooms/demo-room"))["pinnedMessage"]["pinned"]
    body = {"name": "renamed"}
    updated = ok(demo.as_user("owner", "PUT", "/rooms/demo-room", json=body))
    assert updated["pinnedMessage"]["_id"] == sent["_id"]
    assert updated["lastMessage"]["pinned"] is True

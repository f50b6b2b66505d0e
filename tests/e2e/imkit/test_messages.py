"""Messages (imkit.md §6): send as a user and as the platform, edit, recall, list v3."""

from __future__ import annotations

import re
import time

from tests.e2e.imkit.conftest import IMKit, expect_error, ok

HEX24 = re.compile(r"^[0-9a-f]{24}$")


def _user_messages(demo: IMKit) -> list[dict]:
    """The room's messages other than the system ones the setup wrote (``assignAdmin``)."""
    return [m for m in demo.messages("demo-room", limit=100) if m["messageType"] != "assignAdmin"]


def test_send_as_user(demo: IMKit) -> None:
    body = {"message": "hello", "messageType": "text", "mentions": ["owner"]}
    sent = ok(demo.as_user("member", "POST", "/rooms/demo-room/message", json=body))
    assert HEX24.match(sent["_id"]) and sent["id"] == sent["_id"]
    assert sent["room"] == "demo-room" and sent["message"] == "hello"
    assert sent["messageType"] == "text" and sent["pinned"] is False
    assert sent["sender"]["_id"] == "member" and sent["sender"]["nickname"] == "Member"
    assert sent["createdAtMS"] == sent["messageTimeMS"] == sent["updatedAtMS"]
    assert len(str(sent["createdAtMS"])) == 13


def test_send_as_user_errors(demo: IMKit) -> None:
    path = "/rooms/demo-room/message"
    expect_error(
        demo.as_user("member", "POST", path, json={"messageType": "text"}), 400, "MISSING_PARAMETER"
    )
    expect_error(
        demo.as_user("member", "POST", path, json={"message": "x"}), 400, "MISSING_PARAMETER"
    )
    expect_error(
        demo.as_user("member", "POST", path, json={"message": "x", "messageType": 1}),
        400,
        "INVALID_BODY",
    )
    expect_error(
        demo.as_user("outsider", "POST", path, json={"message": "x", "messageType": "text"}),
        403,
        "NOT_ROOM_MEMBER",
    )
    # The vendor answers 403 (not 404) for an unknown room here.
    expect_error(
        demo.as_user(
            "member", "POST", "/rooms/nope/message", json={"message": "x", "messageType": "text"}
        ),
        403,
        "NOT_ROOM_MEMBER",
    )
    assert _user_messages(demo) == []


def test_send_as_platform(demo: IMKit) -> None:
    body = {
        "room": "demo-room",
        "sender": "admin",
        "message": {"k": [1, 2]},
        "messageType": "custom",
        "push": False,
    }
    sent = ok(demo.platform("POST", "/messages/", json=body))
    assert (
        sent["sender"] == "admin" and sent["message"] == {"k": [1, 2]} and sent["pinned"] is False
    )
    listed = _user_messages(demo)
    assert listed[0]["_id"] == sent["_id"] and listed[0]["sender"]["_id"] == "admin"


def test_send_as_platform_errors(demo: IMKit) -> None:
    base = {"room": "demo-room", "sender": "admin", "message": "x", "messageType": "text"}
    for missing in ("room", "sender", "message", "messageType"):
        body = {k: v for k, v in base.items() if k != missing}
        expect_error(demo.platform("POST", "/messages", json=body), 400, "MISSING_PARAMETER")
    expect_error(
        demo.platform("POST", "/messages", json={**base, "sender": "outsider"}),
        403,
        "NOT_ROOM_MEMBER",
    )
    expect_error(
        demo.platform("POST", "/messages", json={**base, "sender": "ghost"}), 403, "NOT_ROOM_MEMBER"
    )
    expect_error(
        demo.platform("POST", "/messages", json={**base, "room": "nope"}),
        404,
        "ROOM_NOT_FOUND",
        "Room not found",
    )
    assert _user_messages(demo) == []


def test_edit_own_message(demo: IMKit) -> None:
    sent = demo.send("member", "demo-room", "v1")
    ok(demo.as_user("owner", "POST", f"/messages/{sent['_id']}/pin"))
    time.sleep(0.01)
    body = {"_id": sent["_id"], "message": "v2", "messageType": "text"}
    edited = ok(demo.as_user("member", "POST", "/rooms/demo-room/message", json=body))
    assert edited["_id"] == sent["_id"] and edited["message"] == "v2" and edited["pinned"] is True
    assert edited["updatedAtMS"] > sent["updatedAtMS"]
    expect_error(
        demo.as_user("admin", "POST", "/rooms/demo-room/message", json={**body, "message": "v3"}),
        403,
        "INSUFFICIENT_PERMISSIONS",
    )
    assert demo.get_room("demo-room")["pinnedMessage"]["message"] == "v2"


def test_recall_by_sender_or_manager(demo: IMKit) -> None:
    first = demo.send("member", "demo-room", "a")
    second = demo.send("member", "demo-room", "b")
    recall = {"_id": first["_id"], "messageType": "recall"}
    expect_error(
        demo.as_user("outsider", "POST", "/rooms/demo-room/message", json=recall),
        403,
        "NOT_ROOM_MEMBER",
    )
    ok(demo.as_user("member", "POST", "/rooms/demo-room/message", json=recall))
    recall = {"_id": second["_id"], "messageType": "recall"}
    ok(demo.as_user("admin", "POST", "/rooms/demo-room/message", json=recall))
    third = demo.send("admin", "demo-room", "c")
    expect_error(
        demo.as_user(
            "member",
            "POST",
            "/rooms/demo-room/message",
            json={"_id": third["_id"], "messageType": "recall"},
        ),
        403,
        "INSUFFICIENT_PERMISSIONS",
    )
    expect_error(
        demo.as_user("member", "POST", "/rooms/demo-room/message", json={"messageType": "recall"}),
        400,
        "MISSING_PARAMETER",
    )
    types = {m["_id"]: m["messageType"] for m in _user_messages(demo)}
    assert types == {first["_id"]: "recall", second["_id"]: "recall", third["_id"]: "text"}


def test_list_messages_v3(demo: IMKit) -> None:
    demo.room("plain", "owner", ["member"])
    sent = []
    for i in range(5):
        sent.append(demo.send("member", "plain", f"m{i}"))
        time.sleep(0.002)
    ids = [m["_id"] for m in sent]
    result = ok(demo.as_user("member", "GET", "/rooms/plain/messages/v3"))
    assert result["totalCount"] == 5 and result["userDeletedIDs"] == []
    assert [m["_id"] for m in result["data"]] == ids[::-1]  # newest first by default
    assert all(m["pinned"] is False and m["sender"]["_id"] == "member" for m in result["data"])
    asc = demo.messages("plain", sortOrder="asc", limit=2)
    assert [m["_id"] for m in asc] == ids[:2]
    before = demo.messages("plain", beforeMessage=ids[3])
    assert [m["_id"] for m in before] == ids[:3][::-1]
    after = demo.messages("plain", afterMessage=ids[1], sortOrder="asc")
    assert [m["_id"] for m in after] == ids[2:]
    since = demo.messages("plain", afterTime=sent[2]["createdAtMS"], sortOrder="asc")
    assert [m["_id"] for m in since] == [
        m["_id"] for m in sent if m["createdAtMS"] > sent[2]["createdAtMS"]
    ]
    # updatedAt as the time field: a pin is an update.
    ok(demo.as_user("owner", "POST", f"/messages/{ids[0]}/pin"))
    changed = demo.messages("plain", afterTime=sent[-1]["createdAtMS"], timeRangeField="updatedAt")
    assert [m["_id"] for m in changed] == [ids[0]] and changed[0]["pinned"] is True


def test_list_messages_errors(demo: IMKit) -> None:
    path = "/rooms/demo-room/messages/v3"
    expect_error(demo.as_user("outsider", "GET", path), 403, "NOT_ROOM_MEMBER")
    expect_error(
        demo.as_user("owner", "GET", "/rooms/nope/messages/v3"),
        404,
        "ROOM_NOT_FOUND",
        "Room not found",
    )
    expect_error(demo.as_user("owner", "GET", path, params={"limit": "many"}), 400, "INVALID_BODY")
    expect_error(
        demo.as_user("owner", "GET", path, params={"sortOrder": "up"}), 400, "INVALID_BODY"
    )
    expect_error(
        demo.as_user("owner", "GET", path, params={"afterTime": "yesterday"}), 400, "INVALID_BODY"
    )
    expect_error(
        demo.as_user("owner", "GET", path, params={"beforeMessage": "000000000000000000000000"}),
        404,
        "MESSAGE_NOT_FOUND",
        "Message not found",
    )


def test_list_limit_is_capped_at_100(demo: IMKit) -> None:
    for i in range(101):
        demo.platform(
            "POST",
            "/messages",
            json={"room": "demo-room", "sender": "member", "message": i, "messageType": "text"},
        )
    assert len(demo.messages("demo-room", limit=1000)) == 100

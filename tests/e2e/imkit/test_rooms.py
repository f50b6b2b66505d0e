"""Rooms and members (imkit.md §6): create, create-and-join, read, list, update, members, roles."""

from __future__ import annotations

import re

from tests.e2e.imkit.conftest import IMKit, expect_error, ok

HEX24 = re.compile(r"^[0-9a-f]{24}$")


def test_platform_creates_a_room_with_members_and_owner(imkit: IMKit) -> None:
    for user in ("owner", "a", "b"):
        imkit.user(user)
    body = {
        "_id": "demo-room",
        "name": "Demo",
        "cover": "http://c",
        "description": "d",
        "members": ["a", "b"],
        "owner": "owner",
        "roomTags": ["t1"],
        "systemMessage": False,
        "webhook": "x",
        "botMode": False,
        "extParams": {"k": 1},
    }
    room = ok(imkit.platform("POST", "/rooms/", json=body))
    assert room["_id"] == room["id"] == "demo-room"
    assert room["name"] == "Demo" and room["cover"] == "http://c" and room["description"] == "d"
    assert room["roomType"] == "group" and room["status"] == 1 and room["roomTags"] == ["t1"]
    # Vendor example: members as id strings here; the owner is made a member, the caller is not.
    assert sorted(room["members"]) == ["a", "b", "owner"]
    assert room["owner"] == "owner" and room["managers"] == []
    assert room["pinnedMessage"] is None and "lastMessage" not in room
    assert isinstance(room["createdTimeMS"], int) and len(str(room["createdTimeMS"])) == 13
    assert room["isSuperuser"] is True
    full = imkit.get_room("demo-room")
    assert {m["_id"] for m in full["members"]} == {"a", "b", "owner"}
    assert all(m["id"] == m["_id"] and "nickname" in m for m in full["members"])
    assert {p["client"] for p in full["memberProperties"]} == {"a", "b", "owner"}


def test_generated_room_id_is_24_hex(imkit: IMKit) -> None:
    imkit.user("a")
    room = ok(imkit.platform("POST", "/rooms", json={"members": ["a"]}))
    assert HEX24.match(room["_id"])
    assert room["owner"] is None


def test_reposting_an_existing_room_updates_and_adds(imkit: IMKit) -> None:
    for user in ("owner", "a", "b"):
        imkit.user(user)
    imkit.room("r", "owner", ["a"])
    room = ok(imkit.platform("POST", "/rooms", json={"_id": "r", "name": "new", "members": ["b"]}))
    assert room["name"] == "new" and sorted(room["members"]) == ["a", "b", "owner"]
    assert room["owner"] == "owner"


def test_client_creates_a_room_and_owns_it(imkit: IMKit) -> None:
    imkit.user("alice")
    imkit.user("bob")
    body = {"_id": "mine", "name": "Mine", "members": ["bob"]}
    room = ok(imkit.as_user("alice", "POST", "/rooms", json=body))
    assert room["owner"] == "alice" and sorted(room["members"]) == ["alice", "bob"]


def test_create_room_errors(imkit: IMKit) -> None:
    imkit.user("a")
    expect_error(
        imkit.platform("POST", "/rooms", json={"_id": "r", "members": ["a", "ghost"]}),
        400,
        "INVALID_USER_ID",
        "Invalid parameters",
    )
    expect_error(
        imkit.platform("POST", "/rooms", json={"_id": "r", "owner": "ghost"}),
        400,
        "INVALID_USER_ID",
        "Invalid parameters",
    )
    expect_error(
        imkit.platform("POST", "/rooms", json={"_id": "r", "members": "a"}), 400, "INVALID_BODY"
    )
    expect_error(
        imkit.platform("POST", "/rooms", json={"_id": "r", "roomType": "x"}), 400, "INVALID_BODY"
    )
    expect_error(imkit.platform("POST", "/rooms", json={"_id": "a/b"}), 400, "INVALID_BODY")
    expect_error(
        imkit.platform("POST", "/rooms", json={"_id": "d", "roomType": "direct", "members": ["a"]}),
        400,
        "INVALID_BODY",
    )
    expect_error(imkit.http.post("/rooms", json={"_id": "r"}), 403, "INVALID_CLIENT_KEY")
    expect_error(
        imkit.http.post("/rooms", json={"_id": "r"}, headers={"IM-API-KEY": "x"}),
        401,
        "INVALID_API_KEY",
    )
    # None of the refused calls created the room.
    expect_error(imkit.platform("GET", "/rooms/r"), 404, "ROOM_NOT_FOUND", "Room not found")


def test_create_and_join(imkit: IMKit) -> None:
    for user in ("alice", "bob", "carol"):
        imkit.user(user)
    body = {"_id": "team", "name": "Team", "invitee": ["bob", "carol"], "invitationRequired": True}
    room = ok(imkit.as_user("alice", "POST", "/rooms/createAndJoin/", json=body))
    assert room["owner"] == "alice"
    assert {m["_id"] for m in room["members"]} == {"alice", "bob", "carol"}
    assert room["isSuperuser"] is True
    direct = ok(
        imkit.as_user(
            "alice", "POST", "/rooms/createAndJoin", json={"roomType": "direct", "invitee": "bob"}
        )
    )
    assert direct["roomType"] == "direct" and direct["owner"] is None and HEX24.match(direct["_id"])
    assert direct["isSuperuser"] is False
    expect_error(
        imkit.as_user("alice", "POST", "/rooms/createAndJoin", json={"invitee": ["ghost"]}),
        400,
        "INVALID_USER_ID",
        "Invalid parameters",
    )


def test_get_room_members_only(demo: IMKit) -> None:
    room = ok(demo.as_user("member", "GET", "/rooms/demo-room"))
    assert room["isSuperuser"] is False and room["managers"] == ["admin"]
    assert ok(demo.as_user("admin", "GET", "/rooms/demo-room/"))["isSuperuser"] is True
    expect_error(demo.as_user("outsider", "GET", "/rooms/demo-room"), 403, "NOT_ROOM_MEMBER")
    expect_error(
        demo.as_user("owner", "GET", "/rooms/nope"), 404, "ROOM_NOT_FOUND", "Room not found"
    )


def test_room_of_another_app_is_not_found(demo: IMKit, imkit_factory) -> None:
    other = imkit_factory()
    other.user("x")
    other.room("their-room", "x", [])
    expect_error(demo.platform("GET", "/rooms/their-room"), 404, "ROOM_NOT_FOUND", "Room not found")
    expect_error(
        demo.platform("POST", "/rooms/their-room/members", json={"invitees": ["owner"]}),
        404,
        "ROOM_NOT_FOUND",
        "Room not found",
    )
    assert [m["_id"] for m in other.get_room("their-room")["members"]] == ["x"]


def test_list_rooms_of_the_caller(demo: IMKit) -> None:
    demo.room("second", "member", [])
    mine = ok(demo.as_user("member", "GET", "/rooms", params={"skip": 0, "limit": 10}))
    assert mine["totalCount"] == 2 and {r["_id"] for r in mine["data"]} == {"demo-room", "second"}
    assert all("pinnedMessage" in r for r in mine["data"])
    one = ok(demo.as_user("member", "GET", "/rooms/", params={"skip": 1, "limit": 1}))
    assert one["totalCount"] == 2 and len(one["data"]) == 1
    assert ok(demo.as_user("outsider", "GET", "/rooms")) == {"totalCount": 0, "data": []}
    expect_error(
        demo.as_user("member", "GET", "/rooms", params={"limit": "x"}), 400, "INVALID_BODY"
    )


def test_update_room_profile_by_owner_or_manager(demo: IMKit) -> None:
    body = {
        "name": "N",
        "cover": "C",
        "description": "D",
        "roomTags": ["x"],
        "status": 0,
        "opening": 1,
    }
    room = ok(demo.as_user("admin", "PUT", "/rooms/demo-room", json=body))
    assert (room["name"], room["cover"], room["description"], room["roomTags"], room["status"]) == (
        "N",
        "C",
        "D",
        ["x"],
        0,
    )
    expect_error(
        demo.as_user("member", "PUT", "/rooms/demo-room", json={"name": "hacked"}),
        403,
        "INSUFFICIENT_PERMISSIONS",
    )
    assert demo.get_room("demo-room")["name"] == "N"
    expect_error(
        demo.as_user("member", "PUT", "/rooms/demo-room", json={"name": 3}), 400, "INVALID_BODY"
    )


def test_owner_and_managers_change_by_owner_or_platform_only(demo: IMKit) -> None:
    expect_error(
        demo.as_user("admin", "PUT", "/rooms/demo-room", json={"managers": ["admin", "member"]}),
        403,
        "INSUFFICIENT_PERMISSIONS",
    )
    expect_error(
        demo.as_user("admin", "PUT", "/rooms/demo-room", json={"owner": "admin"}),
        403,
        "INSUFFICIENT_PERMISSIONS",
    )
    assert demo.get_room("demo-room")["managers"] == ["admin"]
    room = ok(demo.as_user("owner", "PUT", "/rooms/demo-room", json={"managers": ["member"]}))
    assert room["managers"] == ["member"]
    room = ok(demo.platform("PUT", "/rooms/demo-room", json={"owner": "admin"}))
    assert room["owner"] == "admin"
    expect_error(
        demo.platform("PUT", "/rooms/demo-room", json={"managers": ["outsider"]}),
        400,
        "INVALID_USER_ID",
        "Invalid parameters",
    )


def test_add_members_any_member_may(demo: IMKit) -> None:
    body = {"invitees": ["outsider"], "systemMessage": True}
    room = ok(demo.as_user("member", "POST", "/rooms/demo-room/members", json=body))
    assert "outsider" in {m["_id"] for m in room["members"]}
    assert room["lastMessage"]["messageType"] == "addMembers"
    expect_error(
        demo.as_user("member", "POST", "/rooms/demo-room/members", json={"invitees": ["ghost"]}),
        400,
        "INVALID_USER_ID",
        "Invalid parameters",
    )
    expect_error(
        demo.as_user("member", "POST", "/rooms/demo-room/members", json={}),
        400,
        "MISSING_PARAMETER",
    )


def test_add_members_by_a_non_member_is_refused(demo: IMKit) -> None:
    demo.user("newbie")
    expect_error(
        demo.as_user("outsider", "POST", "/rooms/demo-room/members", json={"invitees": ["newbie"]}),
        403,
        "NOT_ROOM_MEMBER",
    )
    assert "newbie" not in {m["_id"] for m in demo.get_room("demo-room")["members"]}


def test_join(demo: IMKit) -> None:
    room = ok(demo.as_user("outsider", "POST", "/rooms/demo-room/join"))
    assert "outsider" in {m["_id"] for m in room["members"]}
    assert room["lastMessage"]["messageType"] == "joinRoom"
    again = ok(
        demo.as_user("outsider", "POST", "/rooms/demo-room/join/", json={"systemMessage": False})
    )
    assert len(again["members"]) == len(room["members"])
    expect_error(
        demo.as_user("outsider", "POST", "/rooms/nope/join"),
        404,
        "ROOM_NOT_FOUND",
        "Room not found",
    )
    expect_error(demo.platform("POST", "/rooms/demo-room/join"), 400, "MISSING_PARAMETER")


def test_remove_members_and_leave(demo: IMKit) -> None:
    expect_error(
        demo.as_user(
            "member", "POST", "/rooms/demo-room/delete/members", json={"members": ["admin"]}
        ),
        403,
        "INSUFFICIENT_PERMISSIONS",
    )
    room = ok(
        demo.as_user(
            "admin", "POST", "/rooms/demo-room/delete/members", json={"members": ["member"]}
        )
    )
    assert "member" not in {m["_id"] for m in room["members"]}
    # A removed member loses access at once.
    expect_error(demo.as_user("member", "GET", "/rooms/demo-room"), 403, "NOT_ROOM_MEMBER")
    # The owner leaves: the room keeps no owner.
    body = {"members": ["owner"], "systemMessage": True}
    room = ok(demo.as_user("owner", "POST", "/rooms/demo-room/delete/members/", json=body))
    assert room["owner"] is None
    assert {m["_id"] for m in demo.get_room("demo-room")["members"]} == {"admin"}


def test_member_role(demo: IMKit) -> None:
    body = {"property": "role", "value": "admin"}
    expect_error(
        demo.as_user("admin", "PUT", "/rooms/demo-room/member/member", json=body),
        403,
        "INSUFFICIENT_PERMISSIONS",
    )
    room = ok(demo.as_user("owner", "PUT", "/rooms/demo-room/member/member/", json=body))
    assert sorted(room["managers"]) == ["admin", "member"]
    assert room["lastMessage"]["messageType"] == "assignAdmin"
    room = ok(
        demo.platform(
            "PUT", "/rooms/demo-room/member/admin", json={"property": "role", "value": "member"}
        )
    )
    assert room["managers"] == ["member"]
    expect_error(
        demo.as_user("owner", "PUT", "/rooms/demo-room/member/outsider", json=body),
        404,
        "CLIENT_NOT_FOUND",
        "Client not found",
    )
    expect_error(
        demo.as_user(
            "owner",
            "PUT",
            "/rooms/demo-room/member/admin",
            json={"property": "role", "value": "king"},
        ),
        400,
        "INVALID_BODY",
    )
    expect_error(
        demo.as_user("owner", "PUT", "/rooms/demo-room/member/admin", json={"value": "admin"}),
        400,
        "MISSING_PARAMETER",
    )


def test_custom_member_property(demo: IMKit) -> None:
    body = {"property": "badge", "value": 3}
    room = ok(demo.as_user("owner", "PUT", "/rooms/demo-room/member/member", json=body))
    props = {p["client"]: p for p in room["memberProperties"]}
    assert props["member"]["badge"] == 3

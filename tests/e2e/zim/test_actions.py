"""UserRegister, CreateGroup, InviteUsersIntoGroup, SendPeerMessage, SendGroupMessage."""

from __future__ import annotations

from tests.e2e.zim.client import Zim

TEXT = {"MessageType": 1, "Priority": 1, "MessageBody": {"Message": "hello"}}


def test_user_register_then_create_group_with_members(zim: Zim) -> None:
    reply = zim.call(
        "UserRegister",
        {"UserInfo": [{"UserId": "alice", "UserName": "Alice", "UserAvatar": "https://x/a.png"}]},
    )
    assert reply["Code"] == 0 and reply["ErrorList"] == [] and reply["Message"] == "success"
    zim.register("bob")
    reply = zim.call(
        "CreateGroup",
        {
            "GroupOwner": "alice",
            "GroupId": "team",
            "GroupName": "Team",
            "UserId": ["bob", "alice", "bob", "ghost"],
            "Attributes": [{"Key": "k", "Value": "v"}],
        },
    )
    assert reply["Code"] == 0, reply
    assert reply["GroupId"] == "team"
    assert reply["Members"] == [
        {"UserId": "alice", "UserName": "Alice"},
        {"UserId": "bob", "UserName": "bob"},
    ]
    assert reply["ErrorUsers"] == [{"UserId": "ghost", "SubCode": 660700015}]
    again = zim.call("CreateGroup", {"GroupOwner": "alice", "GroupId": "team"})
    assert again["Code"] == 660600011


def test_create_group_without_id_makes_one_starting_with_hash(zim: Zim) -> None:
    zim.register("alice")
    reply = zim.call("CreateGroup", {"GroupOwner": "alice"})
    assert reply["Code"] == 0 and reply["GroupId"].startswith("#")
    assert zim.pin("alice", [(reply["GroupId"], 2)])["Code"] == 0


def test_invite_users_into_group(zim: Zim) -> None:
    zim.register("alice", "bob", "carol", "dave")
    zim.create_group("alice", "team", [])
    reply = zim.call(
        "InviteUsersIntoGroup",
        {"FromUserId": "alice", "GroupId": "team", "UserIds": ["alice", "bob", "ghost"]},
    )
    assert reply["Code"] == 0, reply
    assert reply["ErrorUsers"] == [{"UserId": "ghost", "SubCode": 660700015}]
    assert zim.pin("bob", [("team", 2)])["Code"] == 0
    # GroupMemberInfos wins over UserIds when given (another group: 1/s per group).
    zim.create_group("alice", "club", [])
    reply = zim.call(
        "InviteUsersIntoGroup",
        {
            "FromUserId": "alice",
            "GroupId": "club",
            "UserIds": ["dave"],
            "GroupMemberInfos": [{"UserId": "carol", "EnterGroupTime": 0, "IsInvite": 0}],
        },
    )
    assert reply["Code"] == 0 and reply["ErrorUsers"] == []
    assert zim.pin("carol", [("club", 2)])["Code"] == 0
    assert zim.pin("dave", [("club", 2)])["Code"] == 660600024


def test_invite_errors(zim: Zim) -> None:
    zim.register("alice", "bob")
    zim.create_group("alice", "g0", [])
    assert (
        zim.call(
            "InviteUsersIntoGroup", {"FromUserId": "ghost", "GroupId": "g0", "UserIds": ["bob"]}
        )["Code"]
        == 660500002
    )
    reply = zim.call(
        "InviteUsersIntoGroup", {"FromUserId": "alice", "GroupId": "nope", "UserIds": ["bob"]}
    )
    assert reply["Code"] == 660600001 and reply["ErrorUsers"] == []
    many = [f"u{i}" for i in range(101)]
    reply = zim.call(
        "InviteUsersIntoGroup", {"FromUserId": "alice", "GroupId": "g1", "UserIds": many}
    )
    assert reply["Code"] == 660000011
    reply = zim.call(
        "InviteUsersIntoGroup", {"FromUserId": "alice", "GroupId": "g2", "UserIds": ["ghost"]}
    )
    assert reply["Code"] == 660600001  # the group is checked before the users


def test_invite_is_limited_to_one_call_per_second_per_group(zim: Zim) -> None:
    zim.register("alice", "bob", "carol")
    zim.create_group("alice", "team", [])
    zim.create_group("alice", "club", [])
    body = {"FromUserId": "alice", "GroupId": "team", "UserIds": ["bob"]}
    assert zim.call("InviteUsersIntoGroup", body)["Code"] == 0
    assert zim.call("InviteUsersIntoGroup", body)["Code"] == 660300006
    other = {**body, "GroupId": "club"}
    assert zim.call("InviteUsersIntoGroup", other)["Code"] == 0


def test_send_peer_message_partial_success(zim: Zim) -> None:
    zim.register("alice", "bob", "carol")
    reply = zim.call(
        "SendPeerMessage", {"FromUserId": "alice", "ToUserId": ["bob", "ghost", "alice"], **TEXT}
    )
    assert reply["Code"] == 0, reply
    assert [s["UserId"] for s in reply["SuccList"]] == ["bob"]
    assert reply["SuccList"][0]["MsgId"].isdigit()
    assert isinstance(reply["SuccList"][0]["MsgSeq"], int)
    assert [(e["UserId"], e["SubCode"]) for e in reply["ErrorList"]] == [
        ("ghost", 660700015),
        ("alice", 660600030),
    ]
    assert reply["AuditInfos"] == []
    listed = zim.conversations("bob")["List"]
    assert [(c["ConvId"], c["ConvType"]) for c in listed] == [("alice", 0)]


def test_send_peer_message_errors(zim: Zim) -> None:
    zim.register("alice", "bob")
    base = {"FromUserId": "alice", "ToUserId": ["bob"], **TEXT}
    assert zim.call("SendPeerMessage", {**base, "FromUserId": "ghost"})["Code"] == 660500002
    reply = zim.call("SendPeerMessage", {**base, "ToUserId": ["alice"]})
    assert reply["Code"] == 660600030 and len(reply["ErrorList"]) == 1
    too_many = {**base, "ToUserId": [f"u{i}" for i in range(101)]}
    assert zim.call("SendPeerMessage", too_many)["Code"] == 660000011
    big = {**base, "MessageBody": {"Message": "x" * 2049}}
    assert zim.call("SendPeerMessage", big)["Code"] == 660400001
    for bad in (
        {**base, "ToUserId": []},
        {**base, "ToUserId": "bob"},
        {**base, "MessageType": 20},
        {**base, "Priority": 4},
        {**base, "MessageBody": {"Message": ""}},
        {**base, "MessageBody": "hello"},
        {**base, "SubMsgType": 3},
    ):
        assert zim.call("SendPeerMessage", bad)["Code"] == 660000002, bad


def test_send_group_message(zim: Zim) -> None:
    zim.register("alice", "bob", "carol")
    zim.create_group("alice", "team", ["bob"])
    reply = zim.call("SendGroupMessage", {"FromUserId": "bob", "GroupId": "team", **TEXT})
    assert reply["Code"] == 0, reply
    assert isinstance(reply["MsgId"], int) and isinstance(reply["MsgSeq"], int)
    base = {"FromUserId": "carol", "GroupId": "team", **TEXT}
    assert zim.call("SendGroupMessage", base)["Code"] == 660600024
    assert zim.call("SendGroupMessage", {**base, "GroupId": "nope"})["Code"] == 660600001
    assert zim.call("SendGroupMessage", {**base, "FromUserId": "ghost"})["Code"] == 660500002

"""Every body rule answers 660000002 (or its own code) and changes nothing (zim.md §5, §6)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.zim.client import Zim

ITEM = {"ConvId": "bob", "ConvType": 0}
GOOD = {"FromUserId": "alice", "ConvList": [ITEM], "PinnedType": 1}


def _with(**changes: Any) -> dict[str, Any]:
    body = {**GOOD, **changes}
    return {k: v for k, v in body.items() if v is not _MISSING}


_MISSING = object()


@pytest.fixture
def ready(zim: Zim) -> Zim:
    zim.register("alice", "bob")
    return zim


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="empty-body"),
        pytest.param(_with(FromUserId=_MISSING), id="FromUserId-missing"),
        pytest.param(_with(FromUserId=""), id="FromUserId-empty"),
        pytest.param(_with(FromUserId="a" * 33), id="FromUserId-33-bytes"),
        pytest.param(_with(FromUserId="é"), id="FromUserId-non-ascii"),
        pytest.param(_with(FromUserId="ali*ce"), id="FromUserId-star"),
        pytest.param(_with(FromUserId="ali/ce"), id="FromUserId-slash"),
        pytest.param(_with(FromUserId="ali,ce"), id="FromUserId-comma"),
        pytest.param(_with(FromUserId="ali'ce"), id="FromUserId-quote"),
        pytest.param(_with(FromUserId='ali"ce'), id="FromUserId-dquote"),
        pytest.param(_with(FromUserId=123), id="FromUserId-number"),
        pytest.param(_with(ConvList=_MISSING), id="ConvList-missing"),
        pytest.param(_with(ConvList=[]), id="ConvList-empty"),
        pytest.param(_with(ConvList=ITEM), id="ConvList-object"),
        pytest.param(_with(ConvList=[ITEM] * 21), id="ConvList-21"),
        pytest.param(_with(ConvList=[ITEM, "bob"]), id="ConvList-item-not-object"),
        pytest.param(_with(PinnedType=_MISSING), id="PinnedType-missing"),
        pytest.param(_with(PinnedType=2), id="PinnedType-2"),
        pytest.param(_with(PinnedType="1"), id="PinnedType-string"),
        pytest.param(_with(PinnedType=True), id="PinnedType-bool"),
        pytest.param(_with(PinnedType=1.0), id="PinnedType-float"),
    ],
)
def test_whole_request_rules_are_660000002_with_an_empty_list(
    ready: Zim, body: dict[str, Any]
) -> None:
    reply = ready.call("ConvPinned", body)
    assert reply["Code"] == 660000002, reply
    assert reply["ErrorList"] == []
    assert ready.pinned("alice") == []


@pytest.mark.parametrize(
    "item",
    [
        {"ConvId": "bob"},
        {"ConvId": "bob", "ConvType": 1},
        {"ConvId": "bob", "ConvType": "0"},
        {"ConvType": 0},
        {"ConvId": "", "ConvType": 0},
        {"ConvId": "b" * 33, "ConvType": 0},
        {"ConvId": "bo*b", "ConvType": 0},
        {"ConvId": "alice", "ConvType": 0},  # one's own conversation
    ],
)
def test_item_rules_fail_the_item_with_660000002(ready: Zim, item: dict[str, Any]) -> None:
    reply = ready.call("ConvPinned", _with(ConvList=[item, ITEM]))
    assert reply["Code"] == 0
    assert [e["SubCode"] for e in reply["ErrorList"]] == [660000002]
    assert ready.pinned("alice") == ["bob"]


def test_every_allowed_character_works_in_ids(zim: Zim) -> None:
    odd = "a!#$%&()+-:;<=.>?@[]^_ {}|~Z09"
    zim.register("alice", odd, "x" * 32)
    reply = zim.pin("alice", [(odd, 0), ("x" * 32, 0)])
    assert reply["Code"] == 0 and reply["ErrorList"] == []
    assert set(zim.pinned("alice")) == {odd, "x" * 32}
    zim.create_group(odd, "g %#?", ["alice"])
    assert zim.pin("alice", [("g %#?", 2)])["Code"] == 0


def test_unknown_body_fields_are_ignored(ready: Zim) -> None:
    assert ready.call("ConvPinned", {**GOOD, "Whatever": [1, 2]})["Code"] == 0


def test_query_list_rules(ready: Zim) -> None:
    for body in (
        {},
        {"FromUserId": "al*ce"},
        {"FromUserId": "alice", "Limit": "10"},
        {"FromUserId": "alice", "Next": -1},
        {"FromUserId": "alice", "Next": "abc"},
        {"FromUserId": "alice", "PinnedFirst": "yes"},
    ):
        assert ready.call("QueryConversationList", body)["Code"] == 660000002, body
    assert ready.call("QueryConversationList", {"FromUserId": "ghost"})["Code"] == 660500002


def test_user_register_rules(zim: Zim) -> None:
    for body in ({}, {"UserInfo": []}, {"UserInfo": {"UserId": "a"}}, {"UserInfo": ["a"]}):
        reply = zim.call("UserRegister", body)
        assert reply["Code"] == 660000002 and reply["ErrorList"] == [], body
    reply = zim.call("UserRegister", {"UserInfo": [{"UserId": f"u{i}"} for i in range(101)]})
    assert reply["Code"] == 660000002
    reply = zim.call(
        "UserRegister",
        {
            "UserInfo": [
                {"UserId": "ok"},
                {"UserId": "x" * 33},
                {"UserId": "bad*id"},
                {"UserId": "longname", "UserName": "n" * 257},
                {"UserId": "longavatar", "UserAvatar": "a" * 501},
                {"UserId": "ok"},
            ]
        },
    )
    assert reply["Code"] == 0
    assert [(e["UserId"], e["SubCode"]) for e in reply["ErrorList"]] == [
        ("x" * 33, 660000012),
        ("bad*id", 660000002),
        ("longname", 660700006),
        ("longavatar", 660700007),
        ("ok", 660700002),
    ]
    reply = zim.call("UserRegister", {"UserInfo": [{"UserId": "ok"}]})
    assert reply["Code"] == 660700002 and len(reply["ErrorList"]) == 1


def test_create_group_rules(zim: Zim) -> None:
    zim.register("owner", "m1")
    bad = [
        {"GroupId": "g1"},
        {"GroupOwner": "owner", "GroupId": "#g"},
        {"GroupOwner": "owner", "GroupId": "g*1"},
        {"GroupOwner": "owner", "GroupId": "g" * 33},
        {"GroupOwner": "owner", "GroupName": "n" * 51},
        {"GroupOwner": "owner", "GroupNotice": "n" * 301},
        {"GroupOwner": "owner", "UserId": "m1"},
        {"GroupOwner": "owner", "UserId": ["m*1"]},
        {"GroupOwner": "owner", "Attributes": [{"Key": "k" * 17, "Value": ""}]},
        {"GroupOwner": "owner", "Attributes": [{"Key": "k", "Value": ""}] * 11},
        {"GroupOwner": "owner", "CreateGroupTime": int(time.time() * 1000) + 3_600_000},
    ]
    for body in bad:
        assert zim.call("CreateGroup", body)["Code"] == 660000002, body
    reply = zim.call(
        "CreateGroup", {"GroupOwner": "owner", "UserId": [f"u{i}" for i in range(101)]}
    )
    assert reply["Code"] == 660600016
    assert zim.call("CreateGroup", {"GroupOwner": "ghost"})["Code"] == 660600013


def test_user_name_of_256_bytes_is_accepted(zim: Zim) -> None:
    reply = zim.call("UserRegister", {"UserInfo": [{"UserId": "long", "UserName": "n" * 256}]})
    assert reply["Code"] == 0 and reply["ErrorList"] == [], reply

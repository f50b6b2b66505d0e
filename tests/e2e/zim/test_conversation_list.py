"""QueryConversationList: vendor order and paging, and the PinnedFirst extension."""

from __future__ import annotations

import time

from tests.e2e.zim.client import Zim


def _setup(zim: Zim) -> None:
    """alice's conversations by activity, oldest first: team, bob, carol, dave."""
    zim.register("alice", "bob", "carol", "dave")
    zim.create_group("alice", "team", [])
    for peer in ("bob", "carol", "dave"):
        time.sleep(0.005)
        zim.send_text("alice", peer)


def test_default_order_is_oldest_update_first_with_extension_fields(zim: Zim) -> None:
    _setup(zim)
    zim.pin("alice", [("carol", 0)])
    reply = zim.conversations("alice")
    assert reply["TotalCount"] == 4 and reply["Next"] == 0
    listed = reply["List"]
    assert [(c["ConvId"], c["ConvType"]) for c in listed] == [
        ("team", 2),
        ("bob", 0),
        ("carol", 0),
        ("dave", 0),
    ]
    times = [c["UpdateTime"] for c in listed]
    assert times == sorted(times) and all(t > 1_600_000_000_000 for t in times)
    assert [c["IsPinned"] for c in listed] == [False, False, True, False]
    assert listed[2]["PinnedTime"] > 0
    assert [c["PinnedTime"] for i, c in enumerate(listed) if i != 2] == [0, 0, 0]
    # A pin does not bump UpdateTime (ours, unconfirmed).
    assert listed[2]["UpdateTime"] < listed[3]["UpdateTime"]


def test_pinned_first_puts_pinned_conversations_first_newest_first(zim: Zim) -> None:
    _setup(zim)
    zim.pin("alice", [("team", 2), ("carol", 0)])
    listed = zim.conversations("alice", PinnedFirst=True)["List"]
    assert [c["ConvId"] for c in listed] == ["carol", "team", "dave", "bob"]
    assert [c["IsPinned"] for c in listed] == [True, True, False, False]
    # Without the option the vendor order is kept exactly.
    plain = zim.conversations("alice", PinnedFirst=False)["List"]
    assert [c["ConvId"] for c in plain] == ["team", "bob", "carol", "dave"]


def test_paging_with_next(zim: Zim) -> None:
    _setup(zim)
    first = zim.conversations("alice", Limit=3)
    assert [c["ConvId"] for c in first["List"]] == ["team", "bob", "carol"]
    assert first["Next"] != 0 and first["TotalCount"] == 4
    second = zim.conversations("alice", Limit=3, Next=first["Next"])
    assert [c["ConvId"] for c in second["List"]] == ["dave"] and second["Next"] == 0
    # Limit ≤ 0 means the default (100).
    assert len(zim.conversations("alice", Limit=0)["List"]) == 4


def test_a_new_user_has_an_empty_list(zim: Zim) -> None:
    zim.register("alice")
    reply = zim.conversations("alice")
    assert reply["List"] == [] and reply["TotalCount"] == 0 and reply["Next"] == 0


def test_apps_never_see_each_others_conversations(zim_factory) -> None:
    one, two = zim_factory(), zim_factory()
    for zim in (one, two):
        zim.register("alice", "bob")
    one.send_text("alice", "bob")
    one.pin("alice", [("bob", 0)])
    assert two.conversations("alice")["List"] == []
    assert two.pinned("alice") == []

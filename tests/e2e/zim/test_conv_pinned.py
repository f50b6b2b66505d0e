"""ConvPinned: batch pin/unpin, partial success, per-item codes, the 100 cap (zim.md §6)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx

from tests.e2e.zim.client import Zim

PEER, GROUP = 0, 2


def test_pin_then_unpin_a_peer_and_a_group(zim: Zim) -> None:
    zim.register("alice", "bob", "carol")
    zim.create_group("alice", "team", ["bob"])
    reply = zim.pin("alice", [("bob", PEER), ("team", GROUP)])
    assert reply["Code"] == 0 and reply["Message"] == "success"
    assert reply["ErrorList"] == []
    # pinned first, newest activity first: the chat with bob started when it was pinned
    assert zim.pinned("alice") == ["bob", "team"]
    assert zim.pinned("bob") == []  # pins are per user

    reply = zim.pin("alice", [("bob", PEER)], pinned=0)
    assert reply["Code"] == 0 and reply["ErrorList"] == []
    assert zim.pinned("alice") == ["team"]


def test_repin_keeps_the_original_pinned_time(zim: Zim) -> None:
    zim.register("alice", "bob")
    assert zim.pin("alice", [("bob", PEER)])["Code"] == 0
    first = zim.conversations("alice")["List"][0]["PinnedTime"]
    time.sleep(0.01)
    assert zim.pin("alice", [("bob", PEER)])["ErrorList"] == []
    assert zim.conversations("alice")["List"][0]["PinnedTime"] == first
    # unpinning an unpinned conversation is a success too
    assert zim.pin("alice", [("bob", PEER)], pinned=0)["Code"] == 0
    assert zim.pin("alice", [("bob", PEER)], pinned=0) | {"RequestId": ""} == {
        "Code": 0,
        "Message": "success",
        "RequestId": "",
        "ErrorList": [],
    }


def test_partial_success_lists_each_failed_item_in_order(zim: Zim) -> None:
    zim.register("alice", "bob", "dave")
    zim.create_group("dave", "elsewhere", [])
    reply = zim.call(
        "ConvPinned",
        {
            "FromUserId": "alice",
            "ConvList": [
                {"ConvId": "ghost", "ConvType": PEER},
                {"ConvId": "bob", "ConvType": PEER},
                {"ConvId": "no-such-group", "ConvType": GROUP},
                {"ConvId": "elsewhere", "ConvType": GROUP},
                {"ConvId": "bob", "ConvType": 1},
                {"ConvId": "bad/char", "ConvType": PEER},
            ],
            "PinnedType": 1,
        },
    )
    assert reply["Code"] == 0, reply
    assert [(e["ConvId"], e["ConvType"], e["SubCode"]) for e in reply["ErrorList"]] == [
        ("ghost", PEER, 660800001),
        ("no-such-group", GROUP, 660600001),
        ("elsewhere", GROUP, 660600024),
        ("bob", 1, 660000002),
        ("bad/char", PEER, 660000002),
    ]
    assert all(e["SubMessage"] for e in reply["ErrorList"])
    assert reply["ErrorList"][0]["SubMessage"] == "conv user not registered"
    assert zim.pinned("alice") == ["bob"]


def test_all_failed_with_one_code_returns_that_code(zim: Zim) -> None:
    zim.register("alice")
    reply = zim.pin("alice", [("ghost", PEER), ("ghost2", PEER)])
    assert reply["Code"] == 660800001
    assert [e["ConvId"] for e in reply["ErrorList"]] == ["ghost", "ghost2"]


def test_all_failed_with_mixed_codes_is_a_general_error(zim: Zim) -> None:
    zim.register("alice")
    reply = zim.pin("alice", [("ghost", PEER), ("nogroup", GROUP)])
    assert reply["Code"] == 660000001
    assert [e["SubCode"] for e in reply["ErrorList"]] == [660800001, 660600001]


def test_a_batch_whose_only_item_is_malformed_fails_with_that_item(zim: Zim) -> None:
    zim.register("alice", "bob")
    reply = zim.pin("alice", [("bob", 5)])
    assert reply["Code"] == 660000002
    assert reply["ErrorList"] == [
        {
            "ConvId": "bob",
            "ConvType": 5,
            "SubCode": 660000002,
            "SubMessage": reply["ErrorList"][0]["SubMessage"],
        }
    ]
    assert zim.pinned("alice") == []


def test_unregistered_operator_is_660500002_and_nothing_changes(zim: Zim) -> None:
    zim.register("bob")
    reply = zim.pin("nobody", [("bob", PEER)])
    assert reply["Code"] == 660500002 and reply["ErrorList"] == []
    assert zim.conversations("bob")["List"] == []


def test_duplicate_items_count_once(zim: Zim) -> None:
    zim.register("alice", "bob")
    reply = zim.pin("alice", [("bob", PEER), ("bob", PEER)])
    assert reply["Code"] == 0 and reply["ErrorList"] == []
    assert zim.pinned("alice") == ["bob"]


def test_the_101st_pin_is_refused_and_the_first_items_fill_the_slots(zim: Zim) -> None:
    peers = [f"p{i:03d}" for i in range(105)]
    for chunk in range(0, len(peers), 100):
        zim.register(*peers[chunk : chunk + 100])
    zim.register("alice")
    for start in range(0, 95, 19):
        assert zim.pin("alice", [(p, PEER) for p in peers[start : start + 19]])["Code"] == 0
    reply = zim.pin("alice", [(p, PEER) for p in peers[95:105]])
    assert reply["Code"] == 0
    assert [e["ConvId"] for e in reply["ErrorList"]] == peers[100:105]
    assert {e["SubCode"] for e in reply["ErrorList"]} == {660800048}
    assert len(zim.pinned("alice")) == 100
    reply = zim.pin("alice", [(peers[104], PEER)])
    assert reply["Code"] == 660800048 and len(reply["ErrorList"]) == 1
    # Re-pinning a pinned one at the cap is still a no-op success; unpinning frees a slot.
    assert zim.pin("alice", [(peers[0], PEER)])["Code"] == 0
    assert zim.pin("alice", [(peers[0], PEER)], pinned=0)["Code"] == 0
    assert zim.pin("alice", [(peers[104], PEER)])["Code"] == 0


def test_parallel_batches_never_leave_more_than_100_pinned(zim_factory: Callable[[], Zim]) -> None:
    zim = zim_factory()
    peers = [f"u{i:03d}" for i in range(200)]
    zim.register(*peers[:100])
    zim.register(*peers[100:])
    zim.register("alice")
    batches = [[(p, PEER) for p in peers[i : i + 20]] for i in range(0, 200, 20)]

    async def run() -> list[dict]:
        async with httpx.AsyncClient(base_url=zim.base_url, timeout=60.0) as http:

            async def one(batch: list[tuple[str, int]]) -> dict:
                body = {
                    "FromUserId": "alice",
                    "ConvList": [{"ConvId": c, "ConvType": t} for c, t in batch],
                    "PinnedType": 1,
                }
                reply = await http.post("/", params=zim.params("ConvPinned"), json=body)
                assert reply.status_code == 200
                return reply.json()

            return await asyncio.gather(*(one(b) for b in batches))

    replies = asyncio.run(run())
    succeeded = sum(20 - len(r["ErrorList"]) for r in replies)
    assert succeeded == 100, replies
    assert all(e["SubCode"] == 660800048 for r in replies for e in r["ErrorList"]), replies
    assert len(zim.pinned("alice")) == 100

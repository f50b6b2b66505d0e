"""`PUT /v1/chats/{id}/pins/order` and the pin version as an optimistic lock (docs/native.md,
"Pins": Position, Version)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.e2e.native.client import expect, expect_bad_request, expect_error
from tests.e2e.native.conftest import Group


def _pinned(group: Group, count: int) -> list[str]:
    """`count` pins; returns the list top first (the last pinned first)."""
    messages = group.send(count)
    for message in messages:
        group.api.pin(group.chat_id, message)
    return list(reversed(messages))


def test_exact_permutation_reorders(group: Group) -> None:
    a, b, c, d = _pinned(group, 4)
    before = group.api.pins(group.chat_id)
    wanted = [c, a, d, b]
    result = expect(group.api.reorder_request(group.chat_id, wanted), 200)
    assert result["version"] == before["version"] + 1
    assert [p["message_id"] for p in result["pins"]] == wanted
    assert [p["position"] for p in result["pins"]] == [0, 1, 2, 3]
    listing = group.api.pins(group.chat_id)
    assert listing == {"version": result["version"], "pins": result["pins"]}
    # Reordering moves where pins stand, not when or by whom they were made.
    made = {p["message_id"]: (p["pinned_at_ms"], p["pinned_by"]) for p in before["pins"]}
    assert {p["message_id"]: (p["pinned_at_ms"], p["pinned_by"]) for p in result["pins"]} == made


def test_reorder_with_the_current_expected_version(group: Group) -> None:
    a, b, c = _pinned(group, 3)
    version = group.api.version(group.chat_id)
    result = expect(group.api.reorder_request(group.chat_id, [c, b, a], version), 200)
    assert result["version"] == version + 1
    assert group.api.pinned_ids(group.chat_id) == [c, b, a]


def test_ids_that_are_not_exactly_the_pins_answer_invalid_order(group: Group) -> None:
    a, b, c = _pinned(group, 3)
    [unpinned] = group.send()
    before = group.api.pins(group.chat_id)
    wrong = {
        "missing": [a, b],
        "extra": [a, b, c, unpinned],
        "duplicate": [a, b, c, c],
        "duplicate instead of one": [a, b, b],
        "unknown": [a, b, "no-such-message"],
        "empty": [],
    }
    for why, ids in wrong.items():
        reply = group.api.reorder_request(group.chat_id, ids)
        assert reply.status_code == 400, (why, reply.text)
        expect_bad_request(reply, "invalid_order")
    assert group.api.pins(group.chat_id) == before
    assert "reordered" not in {row["action"] for row in group.api.history(group.chat_id)}


def test_stale_expected_version_answers_412_and_changes_nothing(group: Group) -> None:
    a, b, c = _pinned(group, 3)
    before = group.api.pins(group.chat_id)
    for stale in (before["version"] - 1, before["version"] + 1, 0):
        reply = group.api.reorder_request(group.chat_id, [c, b, a], stale)
        expect_error(reply, 412, "version_mismatch")
    assert group.api.pins(group.chat_id) == before


def test_reorder_needs_the_reorder_right(group: Group) -> None:
    a, b = _pinned(group, 2)
    before = group.api.pins(group.chat_id)
    # Default policy: reorder is admin.
    reply = group.as_role("member").reorder_request(group.chat_id, [b, a])
    expect_error(reply, 403, "may_not_reorder")
    assert group.api.pins(group.chat_id) == before
    expect(group.as_role("admin").reorder_request(group.chat_id, [b, a]), 200)


def test_moving_one_pin_records_one_reordered_row(group: Group) -> None:
    a, b, c, d = _pinned(group, 4)
    result = group.api.reorder(group.chat_id, [d, a, b, c])
    reordered = [row for row in group.api.history(group.chat_id) if row["action"] == "reordered"]
    # Only d moved: the others keep their order relative to each other, so their keys stand.
    assert [row["message_id"] for row in reordered] == [d]
    assert reordered[0]["version"] == result["version"]


def test_two_clients_reordering_from_the_same_version_one_wins(group: Group) -> None:
    a, b, c, d = _pinned(group, 4)
    version = group.api.version(group.chat_id)
    orders = [[d, c, b, a], [b, d, a, c]]
    admin = group.as_role("admin")

    async def both() -> list[httpx.Response]:
        async with group.api.async_client() as first, admin.async_client() as second:
            calls: list[Any] = [
                first.put(
                    f"/v1/chats/{group.chat_id}/pins/order",
                    json={"message_ids": orders[0], "expected_version": version},
                ),
                second.put(
                    f"/v1/chats/{group.chat_id}/pins/order",
                    json={"message_ids": orders[1], "expected_version": version},
                ),
            ]
            return list(await asyncio.gather(*calls))

    replies = asyncio.run(both())
    statuses = sorted(reply.status_code for reply in replies)
    assert statuses == [200, 412], [reply.text for reply in replies]
    [winner] = [i for i, reply in enumerate(replies) if reply.status_code == 200]
    loser = replies[1 - winner]
    expect_error(loser, 412, "version_mismatch")
    listing = group.api.pins(group.chat_id)
    assert listing["version"] == version + 1 == replies[winner].json()["version"]
    assert [p["message_id"] for p in listing["pins"]] == orders[winner]


def test_many_clients_reordering_from_the_same_version_exactly_one_wins(group: Group) -> None:
    pins = _pinned(group, 5)
    version = group.api.version(group.chat_id)
    # 9 distinct orders, none the current one: the other rotations, and every rotation reversed.
    rotations = [pins[i:] + pins[:i] for i in range(5)]
    orders = rotations[1:] + [list(reversed(order)) for order in rotations]

    async def all_at_once() -> list[httpx.Response]:
        async with group.api.async_client() as client:
            return list(
                await asyncio.gather(
                    *(
                        client.put(
                            f"/v1/chats/{group.chat_id}/pins/order",
                            json={"message_ids": order, "expected_version": version},
                        )
                        for order in orders
                    )
                )
            )

    replies = asyncio.run(all_at_once())
    winners = [i for i, reply in enumerate(replies) if reply.status_code == 200]
    assert len(winners) == 1, [reply.status_code for reply in replies]
    for i, reply in enumerate(replies):
        if i != winners[0]:
            expect_error(reply, 412, "version_mismatch")
    listing = group.api.pins(group.chat_id)
    assert listing["version"] == version + 1
    assert [p["message_id"] for p in listing["pins"]] == orders[winners[0]]


def test_versions_in_history_follow_the_changes(group: Group) -> None:
    a, b = group.send(2)
    chat = group.chat_id
    versions = [
        group.api.pin(chat, a)["version"],
        group.api.pin(chat, b)["version"],
        group.api.unpin(chat, a),
    ]
    assert versions == [1, 2, 3]
    rows = group.api.history(chat)
    assert [(row["message_id"], row["action"], row["version"]) for row in rows] == [
        (a, "added", 1),
        (b, "added", 2),
        (a, "removed", 3),
    ]

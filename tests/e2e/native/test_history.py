"""`GET /v1/chats/{id}/pins/history` (docs/native.md, "Pins"): one row per change with its
actor and dialect, oldest first, paged with `after`/`limit` and `next_after`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.e2e.native.client import (
    DEFAULT_PERMISSIONS,
    expect,
    expect_bad_request,
    now_ms,
)
from tests.e2e.native.conftest import Group

ROW_FIELDS = {"id", "message_id", "action", "actor", "dialect", "at_ms", "reason", "version"}


def _summary(rows: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    return [(row["message_id"], row["action"], row["actor"]) for row in rows]


def test_every_action_is_recorded_with_actor_and_dialect(
    group_factory: Callable[..., Group],
) -> None:
    policy = {"max_pins": 2, "overflow": "evict_oldest", "permissions": DEFAULT_PERMISSIONS}
    group = group_factory(pin_policy=policy)
    chat = group.chat_id
    m1, m2, m3 = group.send(3)
    started = now_ms()

    group.as_user("bob").pin(chat, m1)  # [m1]
    group.as_user("carol").pin(chat, m2)  # [m2, m1]
    group.as_user("adam").reorder(chat, [m1, m2])  # one pin moves past the other
    expect(group.as_user("adam").patch_pin_request(chat, m1, note="agenda"), 200)
    evicted = group.as_user("alice").pin(chat, m3)["evicted"]  # m1 was pinned longest ago
    assert evicted == [m1]
    assert group.as_user("carol").unpin(chat, m2) > 0

    rows = group.api.history(chat)
    assert all(set(row) == ROW_FIELDS for row in rows), rows
    summary = _summary(rows)
    assert summary[:2] == [(m1, "added", "bob"), (m2, "added", "carol")]
    [moved] = summary[2:3]
    assert moved[1:] == ("reordered", "adam") and moved[0] in (m1, m2)
    assert summary[3] == (m1, "edited", "adam")
    # The pin that made room and the eviction it caused: one change, either order.
    assert sorted(summary[4:6]) == sorted([(m3, "added", "alice"), (m1, "evicted", "alice")])
    assert summary[6:] == [(m2, "removed", "carol")]

    assert {row["dialect"] for row in rows} == {"native"}
    assert len({row["id"] for row in rows}) == len(rows)
    assert all(started - 5_000 <= row["at_ms"] <= now_ms() + 5_000 for row in rows)
    assert [row["at_ms"] for row in rows] == sorted(row["at_ms"] for row in rows)
    assert [row["version"] for row in rows] == sorted(row["version"] for row in rows)
    assert rows[-1]["version"] == group.api.version(chat)
    assert all(row["reason"] is None or isinstance(row["reason"], str) for row in rows)


def _rows(group: Group, changes: int) -> list[dict[str, Any]]:
    """Make `changes` history rows (pins, every second one unpinned again); returns them."""
    messages = group.send((changes + 1) // 2)
    made = 0
    for message in messages:
        group.api.pin(group.chat_id, message)
        made += 1
        if made < changes:
            group.api.unpin(group.chat_id, message)
            made += 1
    rows = group.api.history(group.chat_id)
    assert len(rows) == changes
    return rows


def test_history_pages_with_after_and_limit(group: Group) -> None:
    everything = _rows(group, 7)
    pages: list[list[dict[str, Any]]] = []
    after: Any = None
    for _ in range(10):
        page = expect(group.api.history_request(group.chat_id, after=after, limit=3), 200)
        pages.append(page["items"])
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [row for page in pages for row in page] == everything


def test_history_default_page_is_50(group: Group) -> None:
    everything = _rows(group, 53)
    first = expect(group.api.history_request(group.chat_id), 200)
    assert first["items"] == everything[:50]
    assert first["next_after"] is not None
    rest = expect(group.api.history_request(group.chat_id, after=first["next_after"]), 200)
    assert rest["items"] == everything[50:]
    assert rest["next_after"] is None


def test_history_limit_200_is_one_page(group: Group) -> None:
    everything = _rows(group, 5)
    page = expect(group.api.history_request(group.chat_id, limit=200), 200)
    assert page == {"items": everything, "next_after": None}


def test_history_limit_out_of_range_is_refused(group: Group) -> None:
    _rows(group, 2)
    for limit in (0, 201, -1):
        expect_bad_request(group.api.history_request(group.chat_id, limit=limit))
    reply = group.api.http.get(f"/v1/chats/{group.chat_id}/pins/history", params={"limit": "x"})
    expect_bad_request(reply)


def test_empty_history(group: Group) -> None:
    page = expect(group.api.history_request(group.chat_id), 200)
    assert page == {"items": [], "next_after": None}


def test_refused_changes_write_no_history(group: Group) -> None:
    [message] = group.send()
    group.api.pin(group.chat_id, message)
    before = group.api.history(group.chat_id)
    member = group.as_role("member")
    expect(member.reorder_request(group.chat_id, [message]), 403)  # reorder is admin
    expect(member.patch_pin_request(group.chat_id, message, note="x"), 403)  # edit is admin
    expect(group.as_user("carol").unpin_request(group.chat_id, message), 403)  # not hers
    expect(group.api.pin_request(group.chat_id, message), 200)  # already pinned
    assert group.api.history(group.chat_id) == before

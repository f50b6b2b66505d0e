"""`POST /v1/chats/{id}/pins/batch` (docs/native.md, "Batches, restore, must-read"): 1–50 pin
and unpin operations applied in order in one transaction, one result per operation in the given
order; a refused operation changes nothing while the others apply; a stale `expected_version`
refuses the whole batch; `Idempotency-Key` answers a repeated batch with its first reply."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.e2e.native.client import (
    DEFAULT_PERMISSIONS,
    Native,
    NativeApp,
    batch_async,
    batch_body,
    expect,
    expect_bad_request,
    expect_error,
    pin_op,
    policy,
    unpin_op,
)
from tests.e2e.native.conftest import Group, make_group

GroupFactory = Callable[..., Group]

# Fields of a pin that stay as made while later operations move it (its position may change).
STABLE_FIELDS = ("message_id", "pinned_by", "pinned_at_ms", "expires_at_ms", "note", "must_read")


def _new_rows(api: Native, chat_id: str, before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = api.history(chat_id)
    assert rows[: len(before)] == before, "earlier history rows changed"
    return rows[len(before) :]


def _oks(result: dict[str, Any]) -> list[bool]:
    return [item["ok"] for item in result["results"]]


def _error_of(item: dict[str, Any]) -> dict[str, Any]:
    """A refused operation's result: `{"message_id", "ok": false, "error": {code, reason,
    message}}`."""
    assert item["ok"] is False, item
    error: dict[str, Any] = item["error"]
    for key in ("code", "reason", "message"):
        assert isinstance(error.get(key), str) and error[key], error
    return error


def _assert_version_is_current(api: Native, chat_id: str, result: dict[str, Any]) -> None:
    """The reply's version is the chat's version now, and the last history row's."""
    assert api.version(chat_id) == result["version"], result
    rows = api.history(chat_id)
    assert rows and rows[-1]["version"] == result["version"]


# ---- results, order, partial success


def test_results_come_in_the_given_order_and_match_the_list(group: Group) -> None:
    chat = group.chat_id
    old, a, b, c = group.send(4)
    group.api.pin(chat, old)
    before_pins, before_rows = group.api.state(chat)

    ops = [
        pin_op(a, note="first"),
        unpin_op(old),
        pin_op(b, must_read=True),
        pin_op(c, position=99, ttl_seconds=3600),
    ]
    result = group.api.batch(chat, ops)
    assert _oks(result) == [True, True, True, True]
    assert result["version"] > before_pins["version"]
    _assert_version_is_current(group.api, chat, result)

    listing = group.api.pins(chat)
    # a went to the top, then b above it; c to the end; old is gone.
    assert [p["message_id"] for p in listing["pins"]] == [b, a, c]
    listed = {p["message_id"]: p for p in listing["pins"]}
    for item in (result["results"][0], result["results"][2], result["results"][3]):
        pin = item["pin"]
        assert {k: pin[k] for k in STABLE_FIELDS} == {
            k: listed[pin["message_id"]][k] for k in STABLE_FIELDS
        }
    assert listed[a]["note"] == "first" and listed[a]["must_read"] is False
    assert listed[b]["must_read"] is True and listed[b]["acks"] == {"count": 0, "of": 4}
    assert listed[c]["expires_at_ms"] is not None
    assert len({p["pinned_by"] for p in listing["pins"]}) == 1  # one actor made them all

    rows = _new_rows(group.api, chat, before_rows)
    assert [(r["message_id"], r["action"]) for r in rows] == [
        (a, "added"),
        (old, "removed"),
        (b, "added"),
        (c, "added"),
    ]
    assert {r["dialect"] for r in rows} == {"native"}
    assert all(before_pins["version"] < r["version"] <= result["version"] for r in rows)


def test_a_member_batch_is_recorded_as_that_member(group: Group) -> None:
    chat = group.chat_id
    a, b = group.send(2)
    bob = group.as_user("bob")
    result = bob.batch(chat, [pin_op(a), pin_op(b)])
    assert _oks(result) == [True, True]
    assert [item["pin"]["pinned_by"] for item in result["results"]] == ["bob", "bob"]
    assert [(r["message_id"], r["action"], r["actor"]) for r in group.api.history(chat)] == [
        (a, "added", "bob"),
        (b, "added", "bob"),
    ]
    _assert_version_is_current(group.api, chat, result)


def test_refused_operations_change_nothing_and_the_others_apply(
    group: Group, group_factory: GroupFactory
) -> None:
    chat = group.chat_id
    other = group_factory()
    [foreign] = other.send()
    a, b = group.send(2)
    other_before = other.api.state(other.chat_id)
    before_pins, before_rows = group.api.state(chat)

    ops = [pin_op(a), pin_op("no-such-message"), pin_op(foreign), pin_op(b)]
    result = group.api.batch(chat, ops)
    assert _oks(result) == [True, False, False, True]
    assert _error_of(result["results"][1])["code"] == "not_found"
    assert _error_of(result["results"][2])["code"] in ("not_found", "invalid_argument")
    assert "pin" not in result["results"][1] or result["results"][1]["pin"] is None

    assert group.api.pinned_ids(chat) == [b, a]
    _assert_version_is_current(group.api, chat, result)
    rows = _new_rows(group.api, chat, before_rows)
    assert [(r["message_id"], r["action"]) for r in rows] == [(a, "added"), (b, "added")]
    # The other chat's message stayed where it was, unpinned.
    assert other.api.state(other.chat_id) == other_before
    assert before_pins["pins"] == []


def test_an_operation_without_the_right_is_refused_alone(group: Group) -> None:
    chat = group.chat_id
    carols, bobs, new = group.send(3)
    group.as_user("carol").pin(chat, carols)
    group.as_user("bob").pin(chat, bobs)
    _, before_rows = group.api.state(chat)

    # Default policy: a member unpins its own pins only (unpin_any is admin).
    ops = [unpin_op(carols), pin_op(new), unpin_op(bobs)]
    result = group.as_user("bob").batch(chat, ops)
    assert _oks(result) == [False, True, True]
    assert _error_of(result["results"][0])["code"] == "may_not_unpin"

    assert group.api.pinned_ids(chat) == [new, carols]
    rows = _new_rows(group.api, chat, before_rows)
    assert [(r["message_id"], r["action"], r["actor"]) for r in rows] == [
        (new, "added", "bob"),
        (bobs, "removed", "bob"),
    ]
    _assert_version_is_current(group.api, chat, result)


def test_pin_right_is_checked_per_operation(group: Group) -> None:
    chat = group.chat_id
    a, bobs = group.send(2)
    group.as_user("bob").pin(chat, bobs)
    group.as_role("owner").set_policy(chat, permissions={**DEFAULT_PERMISSIONS, "pin": "admin"})
    _, before_rows = group.api.state(chat)

    # Pinning is now the admins'; unpinning one's own pin is still the member's.
    result = group.as_user("bob").batch(chat, [pin_op(a), unpin_op(bobs)])
    assert _oks(result) == [False, True]
    assert _error_of(result["results"][0])["code"] == "may_not_pin"
    assert group.api.pinned_ids(chat) == []
    rows = _new_rows(group.api, chat, before_rows)
    assert [(r["message_id"], r["action"]) for r in rows] == [(bobs, "removed")]
    _assert_version_is_current(group.api, chat, result)


def test_a_batch_whose_every_operation_is_refused_changes_nothing(group: Group) -> None:
    chat = group.chat_id
    a, b = group.send(2)
    group.api.pin(chat, a)
    before = group.api.state(chat)
    # Partial success: still 200 with one error per operation, and no new version.
    result = group.api.batch(chat, [pin_op("no-such-message"), unpin_op(b)])
    assert _oks(result) == [False, False]
    assert [_error_of(item)["code"] for item in result["results"]] == ["not_found"] * 2
    assert result["version"] == before[0]["version"]
    assert group.api.state(chat) == before


def test_pin_limit_on_a_full_reject_chat_refuses_that_operation_only(
    group_factory: GroupFactory,
) -> None:
    group = group_factory(pin_policy=policy(2, "reject"))
    chat = group.chat_id
    a, b, c = group.send(3)
    group.api.pin(chat, a)
    _, before_rows = group.api.state(chat)

    # In order: b fills the chat, c is refused, a frees a place, c then fits.
    ops = [pin_op(b), pin_op(c, note="too early"), unpin_op(a), pin_op(c, note="in time")]
    result = group.api.batch(chat, ops)
    assert _oks(result) == [True, False, True, True]
    assert _error_of(result["results"][1])["code"] == "pin_limit"
    assert result["results"][3]["pin"]["note"] == "in time"

    listing = group.api.pins(chat)
    assert [p["message_id"] for p in listing["pins"]] == [c, b]
    assert listing["pins"][0]["note"] == "in time"
    rows = _new_rows(group.api, chat, before_rows)
    assert [(r["message_id"], r["action"]) for r in rows] == [
        (b, "added"),
        (a, "removed"),
        (c, "added"),
    ]
    _assert_version_is_current(group.api, chat, result)


def test_pin_and_unpin_of_one_message_apply_in_order(group: Group) -> None:
    chat = group.chat_id
    a, b = group.send(2)
    _, before_rows = group.api.state(chat)

    # b is not pinned when its unpin comes: refused; then pinned and unpinned again.
    ops = [pin_op(a), unpin_op(a), unpin_op(b), pin_op(b), pin_op(a, note="again"), unpin_op(b)]
    result = group.api.batch(chat, ops)
    assert _oks(result) == [True, True, False, True, True, True]
    assert _error_of(result["results"][2])["code"] == "not_found"

    listing = group.api.pins(chat)
    assert [(p["message_id"], p["note"]) for p in listing["pins"]] == [(a, "again")]
    rows = _new_rows(group.api, chat, before_rows)
    assert [(r["message_id"], r["action"]) for r in rows] == [
        (a, "added"),
        (a, "removed"),
        (b, "added"),
        (a, "added"),
        (b, "removed"),
    ]
    _assert_version_is_current(group.api, chat, result)


def test_pinning_a_pinned_message_again_in_a_batch_changes_nothing(group: Group) -> None:
    chat = group.chat_id
    [a] = group.send()
    result = group.api.batch(chat, [pin_op(a, note="one"), pin_op(a, note="two")])
    first, second = result["results"]
    assert first["ok"] is True
    # As a single re-pin (200, the existing pin): no second pin, no second history row. A
    # refusal is the other reading; either way the first pin stands unchanged.
    if second["ok"]:
        assert second["pin"]["note"] == "one"
    assert group.api.pin_of(chat, a)["note"] == "one"
    assert group.api.history_of(chat, a) == ["added"]
    _assert_version_is_current(group.api, chat, result)


def test_evictions_in_a_batch_are_consistent(group_factory: GroupFactory) -> None:
    group = group_factory(pin_policy=policy(2, "evict_oldest"))
    chat = group.chat_id
    a, b, c, d = group.send(4)
    group.api.pin(chat, a)  # the oldest
    group.api.pin(chat, b)
    _, before_rows = group.api.state(chat)

    result = group.api.batch(chat, [pin_op(c), pin_op(d)])
    assert _oks(result) == [True, True]
    assert group.api.pinned_ids(chat) == [d, c]

    # Each eviction is recorded once, as history and as an event.
    rows = _new_rows(group.api, chat, before_rows)
    evicted_rows = Counter(r["message_id"] for r in rows if r["action"] == "evicted")
    assert evicted_rows == Counter([a, b])
    assert Counter(r["message_id"] for r in rows if r["action"] == "added") == Counter([c, d])
    evicted_events = Counter(
        e["payload"]["message_id"]
        for e in group.app.events("pin.deleted")
        if e["payload"]["chat_id"] == chat and e["payload"]["action"] == "evicted"
    )
    assert evicted_events == evicted_rows
    # The documented reply has no `evicted`; where one is given (per operation, as a single
    # pin's, or for the whole batch) it must name exactly these.
    per_op = [item.get("evicted") for item in result["results"]]
    if any(evicted is not None for evicted in per_op):
        assert per_op == [[a], [b]], result
    if "evicted" in result:
        assert Counter(result["evicted"]) == evicted_rows, result
    _assert_version_is_current(group.api, chat, result)


def test_a_batch_writes_an_event_per_applied_operation(group: Group) -> None:
    chat = group.chat_id
    a, b = group.send(2)
    group.api.pin(chat, a)
    seen = len(group.app.events())
    group.api.batch(chat, [pin_op(b), unpin_op(a), unpin_op("no-such-message")])
    events = [e for e in group.app.events()[seen:] if e["payload"].get("chat_id") == chat]
    assert [(e["type"], e["payload"]["message_id"]) for e in events] == [
        ("pin.created", b),
        ("pin.deleted", a),
    ]
    assert events[1]["payload"]["action"] == "removed"


# ---- the size of a batch and its body


def test_zero_or_51_operations_are_refused(group: Group) -> None:
    chat = group.chat_id
    messages = group.send(51)
    group.api.pin(chat, messages[0])
    before = group.api.state(chat)
    expect_bad_request(group.api.batch_request(chat, []))
    expect_bad_request(group.api.batch_request(chat, [pin_op(m) for m in messages]))
    expect_bad_request(group.api.http.post(f"/v1/chats/{chat}/pins/batch", json={}))
    assert group.api.state(chat) == before


def test_50_operations_are_one_batch(group: Group) -> None:
    chat = group.chat_id
    messages = group.send(50)
    result = group.api.batch(chat, [pin_op(m) for m in messages])
    assert _oks(result) == [True] * 50
    assert group.api.pinned_ids(chat) == list(reversed(messages))
    assert Counter(r["action"] for r in group.api.history(chat)) == Counter(added=50)
    _assert_version_is_current(group.api, chat, result)


B = object()  # stands for the second message in the operations below


@pytest.mark.parametrize(
    "bad",
    [
        {"op": "move", "message_id": B},
        {"op": "pin"},
        {"op": "pin", "message_id": B, "ttl_seconds": 0},
        {"op": "pin", "message_id": B, "position": -1},
        {"op": "pin", "message_id": B, "must_read": "true"},
    ],
    ids=["unknown op", "no message", "ttl 0", "position -1", "must_read string"],
)
def test_a_malformed_operation_is_refused(group: Group, bad: dict[str, Any]) -> None:
    chat = group.chat_id
    a, b = group.send(2)
    before = group.api.state(chat)
    op = {key: b if value is B else value for key, value in bad.items()}
    reply = group.api.batch_request(chat, [pin_op(a), op])
    # Either reading keeps the rule "a refused operation changes nothing": refused as its own
    # item (the pin before it applies) or the whole body refused (nothing applies).
    if reply.status_code == 200:
        result = reply.json()
        assert _oks(result) == [True, False]
        _error_of(result["results"][1])
        assert group.api.pinned_ids(chat) == [a]
        assert group.api.history_of(chat, b) == []
    else:
        expect_bad_request(reply)
        assert group.api.state(chat) == before


def test_expected_version_must_be_an_integer(group: Group) -> None:
    chat = group.chat_id
    [a] = group.send()
    before = group.api.state(chat)
    body = {"operations": [pin_op(a)], "expected_version": "0"}
    expect_bad_request(group.api.http.post(f"/v1/chats/{chat}/pins/batch", json=body))
    assert group.api.state(chat) == before


# ---- who may send a batch


def test_a_batch_from_outside_the_chat_changes_nothing(group: Group) -> None:
    chat = group.chat_id
    [a] = group.send()
    before = group.api.state(chat)
    reply = group.as_user("olga").batch_request(chat, [pin_op(a)])
    if reply.status_code == 200:  # refused per operation
        assert _oks(reply.json()) == [False]
    else:
        expect_error(reply, 403, "not_chat_member")
    assert group.api.state(chat) == before


def test_another_apps_chat_is_not_found(
    group: Group, native_factory: Callable[[], NativeApp]
) -> None:
    chat = group.chat_id
    [a] = group.send()
    before = group.api.state(chat)
    stranger = native_factory().api
    expect_error(stranger.batch_request(chat, [pin_op(a)]), 404, "not_found")
    expect_error(stranger.batch_request(chat, [pin_op(a)], idempotency_key="x"), 404)
    assert group.api.state(chat) == before


# ---- expected_version


def test_stale_expected_version_refuses_the_whole_batch(group: Group) -> None:
    chat = group.chat_id
    a, b, c = group.send(3)
    group.api.pin(chat, a)
    group.api.pin(chat, b)
    before = group.api.state(chat)
    version = before[0]["version"]
    for stale in (version - 1, version + 1, 0):
        reply = group.api.batch_request(chat, [pin_op(c), unpin_op(a)], expected_version=stale)
        expect_error(reply, 412, "version_mismatch")
    assert group.api.state(chat) == before

    result = group.api.batch(chat, [pin_op(c), unpin_op(a)], expected_version=version)
    assert _oks(result) == [True, True]
    assert group.api.pinned_ids(chat) == [c, b]
    _assert_version_is_current(group.api, chat, result)


# ---- Idempotency-Key


def _repeatable_ops(messages: list[str]) -> list[dict[str, Any]]:
    """Operations that leave new history rows each time they apply (a pin and an unpin of the
    same message), so applying them twice cannot hide."""
    a, b, c = messages
    return [pin_op(a), unpin_op(a), pin_op(b), unpin_op(b), pin_op(c)]


def test_same_key_and_body_answers_the_first_reply_and_applies_once(group: Group) -> None:
    chat = group.chat_id
    messages = group.send(3)
    ops = _repeatable_ops(messages)
    first = group.api.batch_request(chat, ops, idempotency_key="batch-1")
    first_body = expect(first, 200)
    after_first = group.api.state(chat)
    events_after_first = group.app.events()

    again = group.api.batch_request(chat, ops, idempotency_key="batch-1")
    assert again.status_code == first.status_code
    assert again.json() == first_body
    assert group.api.state(chat) == after_first
    assert group.app.events() == events_after_first
    assert len(after_first[1]) == 5


def test_same_key_with_another_body_is_refused(group: Group) -> None:
    chat = group.chat_id
    a, b = group.send(2)
    group.api.batch(chat, [pin_op(a)], idempotency_key="k")
    before = group.api.state(chat)
    for ops, version in (([pin_op(b)], None), ([pin_op(a), pin_op(b)], None), ([pin_op(a)], 1)):
        reply = group.api.batch_request(chat, ops, version, idempotency_key="k")
        expect_error(reply, 409, "idempotency_key_reused")
    assert group.api.state(chat) == before
    # A new key is a new batch.
    assert _oks(group.api.batch(chat, [pin_op(b)], idempotency_key="k2")) == [True]
    assert group.api.pinned_ids(chat) == [b, a]


def test_without_a_key_a_repeated_batch_applies_again(group: Group) -> None:
    chat = group.chat_id
    messages = group.send(3)
    group.api.batch(chat, _repeatable_ops(messages))
    group.api.batch(chat, _repeatable_ops(messages))
    assert len(group.api.history(chat)) == 5 + 4  # the second pin of c changes nothing


def test_keys_are_per_app(native_factory: Callable[[], NativeApp]) -> None:
    first, second = make_group(native_factory()), make_group(native_factory())
    first_ops = _repeatable_ops(first.send(3))
    second_ops = _repeatable_ops(second.send(3))

    one = first.api.batch(first.chat_id, first_ops, idempotency_key="shared-key")
    # The same key in another app, with another body: neither reused nor answered from the
    # first app.
    two = second.api.batch(second.chat_id, second_ops, idempotency_key="shared-key")
    assert _oks(two) == [True] * 5
    assert [r["message_id"] for r in two["results"]] == [op["message_id"] for op in second_ops]
    assert len(second.api.history(second.chat_id)) == 5
    assert len(first.api.history(first.chat_id)) == 5
    assert _oks(one) == [True] * 5


def test_key_length_is_checked(group: Group) -> None:
    chat = group.chat_id
    a, b = group.send(2)
    before = group.api.state(chat)
    for key in ("k" * 256, ""):
        expect_bad_request(group.api.batch_request(chat, [pin_op(a)], idempotency_key=key))
    assert group.api.state(chat) == before
    assert _oks(group.api.batch(chat, [pin_op(b)], idempotency_key="k" * 255)) == [True]


def test_parallel_batches_with_one_key_apply_once(group: Group) -> None:
    chat = group.chat_id
    messages = group.send(3)
    body = batch_body(_repeatable_ops(messages))

    async def all_at_once() -> list[httpx.Response]:
        async with group.api.async_client() as client:
            return list(
                await asyncio.gather(*(batch_async(client, chat, body, "once") for _ in range(50)))
            )

    replies = asyncio.run(all_at_once())
    assert [reply.status_code for reply in replies] == [200] * 50, [
        reply.text for reply in replies if reply.status_code != 200
    ]
    first = replies[0].json()
    assert all(reply.json() == first for reply in replies)
    assert _oks(first) == [True] * 5

    a, b, c = messages
    rows = group.api.history(chat)
    assert Counter((r["message_id"], r["action"]) for r in rows) == Counter(
        [(a, "added"), (a, "removed"), (b, "added"), (b, "removed"), (c, "added")]
    )
    assert group.api.pinned_ids(chat) == [c]
    _assert_version_is_current(group.api, chat, first)
    created = [e for e in group.app.events("pin.created") if e["payload"]["chat_id"] == chat]
    assert sorted(e["payload"]["message_id"] for e in created) == sorted([a, b, c])

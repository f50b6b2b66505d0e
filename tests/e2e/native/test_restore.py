"""`POST /v1/chats/{id}/pins/{message_id}/restore` (docs/native.md, "Batches, restore,
must-read"): a removed pin (unpinned, evicted, expired) is pinned again at the top with its last
note and must-read flag; history `restored`; the version grows by one. Never pinned: 404;
pinned now: 409 `already_pinned`; needs the `pin` right."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.e2e.native.client import (
    Native,
    NativeApp,
    expect,
    expect_error,
    now_ms,
    policy,
    wait_until,
)
from tests.e2e.native.conftest import Group

GroupFactory = Callable[..., Group]

# The sweeper writes the `expired` row in the background (as in test_expiry.py).
SWEPT_WITHIN_MS = 15_000


def _assert_restored(
    api: Native, chat_id: str, message_id: str, restored: dict[str, Any], version_before: int
) -> dict[str, Any]:
    """The reply and the list agree: the pin at the top, the version grown (by one when nothing
    was evicted), the `restored` history row at the reply's version."""
    pin: dict[str, Any] = restored["pin"]
    assert pin["message_id"] == message_id
    assert pin["position"] == 0
    if restored["evicted"] == []:
        assert restored["version"] == version_before + 1
    else:  # an eviction is a change of its own (as for a plain pin)
        assert restored["version"] > version_before
    listing = api.pins(chat_id)
    assert listing["version"] == restored["version"]
    assert listing["pins"][0] == pin
    last = api.history(chat_id)[-1]
    assert (last["message_id"], last["action"], last["version"]) == (
        message_id,
        "restored",
        restored["version"],
    )
    return pin


def test_restore_after_unpin_brings_back_note_and_must_read_at_the_top(group: Group) -> None:
    chat = group.chat_id
    a, b = group.send(2)
    group.api.pin(chat, a, note="read this", must_read=True)
    group.api.pin(chat, b)
    group.api.unpin(chat, a)
    assert group.api.pinned_ids(chat) == [b]
    version = group.api.version(chat)

    restored = expect(group.as_user("bob").restore_request(chat, a), 201)
    assert restored["evicted"] == []
    pin = _assert_restored(group.api, chat, a, restored, version)
    assert pin["note"] == "read this"
    assert pin["must_read"] is True
    assert pin["acks"] == {"count": 0, "of": 4}
    assert group.api.pinned_ids(chat) == [a, b]
    assert group.api.history_of(chat, a) == ["added", "removed", "restored"]
    assert group.api.history(chat)[-1]["actor"] == "bob"


def test_restore_uses_the_last_note(group: Group) -> None:
    chat = group.chat_id
    [a] = group.send()
    group.api.pin(chat, a, note="first")
    expect(group.api.patch_pin_request(chat, a, note="edited"), 200)
    group.api.unpin(chat, a)
    group.api.pin(chat, a, note="second pin")
    group.api.unpin(chat, a)
    version = group.api.version(chat)

    pin = _assert_restored(group.api, chat, a, group.api.restore(chat, a), version)
    assert pin["note"] == "second pin"
    assert pin["must_read"] is False


def test_restore_uses_the_last_edit_of_note_and_must_read(group: Group) -> None:
    chat = group.chat_id
    [a] = group.send()
    group.api.pin(chat, a, note="draft", must_read=True)
    expect(group.api.patch_pin_request(chat, a, note="final", must_read=False), 200)
    group.api.unpin(chat, a)
    version = group.api.version(chat)

    pin = _assert_restored(group.api, chat, a, group.api.restore(chat, a), version)
    assert (pin["note"], pin["must_read"]) == ("final", False)


def test_restore_after_eviction_evicts_in_turn(group_factory: GroupFactory) -> None:
    group = group_factory(pin_policy=policy(2, "evict_oldest"))
    chat = group.chat_id
    a, b, c = group.send(3)
    group.api.pin(chat, a, note="keep me", must_read=True)
    group.api.pin(chat, b)
    assert group.api.pin(chat, c)["evicted"] == [a]
    version = group.api.version(chat)

    restored = group.api.restore(chat, a)
    # Restoring is pinning: the cap holds and its overflow rule applies (b is now the oldest).
    assert restored["evicted"] == [b]
    pin = _assert_restored(group.api, chat, a, restored, version)
    assert (pin["note"], pin["must_read"]) == ("keep me", True)
    assert group.api.pinned_ids(chat) == [a, c]
    assert group.api.history_of(chat, a) == ["added", "evicted", "restored"]
    assert group.api.history_of(chat, b) == ["added", "evicted"]


def test_restore_after_replacement_in_a_one_pin_chat(group_factory: GroupFactory) -> None:
    group = group_factory(pin_policy=policy(1, "evict_oldest"))
    chat = group.chat_id
    a, b = group.send(2)
    group.api.pin(chat, a, note="first")
    assert group.api.pin(chat, b)["evicted"] == [a]
    version = group.api.version(chat)

    restored = group.api.restore(chat, a)
    assert restored["evicted"] == [b]
    pin = _assert_restored(group.api, chat, a, restored, version)
    assert pin["note"] == "first"
    assert group.api.pinned_ids(chat) == [a]
    # One-pin chats record the swap as `replaced` (docs: "a one-pin chat's pin replaced").
    assert group.api.history_of(chat, a) == ["added", "replaced", "restored"]
    assert group.api.history_of(chat, b) == ["added", "replaced"]


def test_restore_on_a_full_reject_chat_is_refused(group_factory: GroupFactory) -> None:
    group = group_factory(pin_policy=policy(1, "reject"))
    chat = group.chat_id
    a, b = group.send(2)
    group.api.pin(chat, a)
    group.api.unpin(chat, a)
    group.api.pin(chat, b)
    before = group.api.state(chat)
    expect_error(group.api.restore_request(chat, a), 422, "pin_limit")
    assert group.api.state(chat) == before


def test_restore_after_expiry(group: Group) -> None:
    chat = group.chat_id
    a, b = group.send(2)
    group.api.pin(chat, b)
    group.api.pin(chat, a, ttl_seconds=1, note="for a second", must_read=True)
    wait_until(
        lambda: "expired" in group.api.history_of(chat, a),
        now_ms() + SWEPT_WITHIN_MS,
        "the expired history row",
    )
    assert group.api.pinned_ids(chat) == [b]
    version = group.api.version(chat)

    pin = _assert_restored(group.api, chat, a, group.api.restore(chat, a), version)
    assert (pin["note"], pin["must_read"]) == ("for a second", True)
    # The restored pin is live (an old expiry would already have passed).
    assert pin["expires_at_ms"] is None or pin["expires_at_ms"] > now_ms()
    assert group.api.pinned_ids(chat) == [a, b]
    assert group.api.history_of(chat, a) == ["added", "expired", "restored"]


def test_restore_of_a_message_never_pinned_is_not_found(
    group: Group, group_factory: GroupFactory
) -> None:
    chat = group.chat_id
    a, b = group.send(2)
    group.api.pin(chat, b)
    other = group_factory()
    [foreign] = other.send()
    other.api.pin(other.chat_id, foreign)
    other.api.unpin(other.chat_id, foreign)  # restorable in its own chat, not in this one
    before = group.api.state(chat)
    for message in (a, "no-such-message", foreign):
        expect_error(group.api.restore_request(chat, message), 404, "not_found")
    assert group.api.state(chat) == before
    assert other.api.pinned_ids(other.chat_id) == []


def test_restore_of_a_pinned_message_is_already_pinned(group: Group) -> None:
    chat = group.chat_id
    a, b = group.send(2)
    group.api.pin(chat, a)
    group.api.pin(chat, b)
    before = group.api.state(chat)
    expect_error(group.api.restore_request(chat, a), 409, "already_pinned")
    assert group.api.state(chat) == before

    # A restored pin is pinned now too.
    group.api.unpin(chat, a)
    group.api.restore(chat, a)
    before = group.api.state(chat)
    expect_error(group.api.restore_request(chat, a), 409, "already_pinned")
    assert group.api.state(chat) == before


def test_restore_needs_the_pin_right(group_factory: GroupFactory) -> None:
    group = group_factory(pin_policy=policy(None, "reject", pin="admin"))
    chat = group.chat_id
    [a] = group.send()
    group.api.pin(chat, a, note="n")
    group.api.unpin(chat, a)
    before = group.api.state(chat)

    expect_error(group.as_role("member").restore_request(chat, a), 403, "may_not_pin")
    expect_error(group.as_user("olga").restore_request(chat, a), 403)  # not a member
    assert group.api.state(chat) == before

    version = before[0]["version"]
    restored = expect(group.as_role("admin").restore_request(chat, a), 201)
    _assert_restored(group.api, chat, a, restored, version)
    assert group.api.history(chat)[-1]["actor"] == "adam"


def test_restore_in_another_apps_chat_is_not_found(
    group: Group, native_factory: Callable[[], NativeApp]
) -> None:
    chat = group.chat_id
    [a] = group.send()
    group.api.pin(chat, a)
    group.api.unpin(chat, a)
    before = group.api.state(chat)
    expect_error(native_factory().api.restore_request(chat, a), 404, "not_found")
    assert group.api.state(chat) == before

"""The pin policy (docs/native.md, "Pin policy"): caps and overflow, also under real concurrent
requests, and each right's lowest role enforced for member, admin and owner."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.e2e.feishu_client import Feishu
from tests.e2e.native.client import (
    DEFAULT_PERMISSIONS,
    DEFAULT_POLICY,
    RIGHTS,
    ROLES,
    Native,
    NativeApp,
    expect,
    expect_error,
    pin_async,
    role_at_least,
    run_all,
)
from tests.e2e.native.conftest import Group, make_group

GroupFactory = Callable[..., Group]


def _policy(max_pins: int | None, overflow: str, **permissions: str) -> dict[str, Any]:
    return {
        "max_pins": max_pins,
        "overflow": overflow,
        "permissions": {**DEFAULT_PERMISSIONS, **permissions},
    }


def _pin_all_at_once(api: Native, chat_id: str, messages: list[str]) -> list[httpx.Response]:
    calls = [
        lambda client, message=message: pin_async(client, chat_id, message) for message in messages
    ]
    return run_all(calls, api)


# ---- caps


def test_reject_refuses_a_pin_over_the_cap(group_factory: GroupFactory) -> None:
    group = group_factory(pin_policy=_policy(2, "reject"))
    a, b, c = group.send(3)
    group.api.pin(group.chat_id, a)
    group.api.pin(group.chat_id, b)
    before = group.api.pins(group.chat_id)
    for client in (group.api, group.as_role("member")):
        expect_error(client.pin_request(group.chat_id, c), 422, "pin_limit")
    assert group.api.pins(group.chat_id) == before
    assert group.api.history_of(group.chat_id, c) == []
    # A freed slot takes the pin.
    group.api.unpin(group.chat_id, a)
    assert group.api.pin(group.chat_id, c)["evicted"] == []
    assert group.api.pinned_ids(group.chat_id) == [c, b]


def test_no_cap_by_default(group: Group) -> None:
    messages = group.send(12)
    for message in messages:
        assert group.api.pin(group.chat_id, message)["evicted"] == []
    assert len(group.api.pinned_ids(group.chat_id)) == 12


def _reordered_full_chat(group: Group) -> tuple[str, str, str, str]:
    """Pins a, b, c (pinned in that order, a the oldest), reordered to [a, c, b]: the oldest pin
    (a) is now at the top and the lowest position holds b. Returns (a, b, c, d) with d unpinned."""
    a, b, c, d = group.send(4)
    for message in (a, b, c):
        group.api.pin(group.chat_id, message)
    group.api.reorder(group.chat_id, [a, c, b])
    return a, b, c, d


def _without_moves(actions: list[str]) -> list[str]:
    return [action for action in actions if action != "reordered"]


def test_evict_oldest_removes_the_pin_pinned_longest_ago(group_factory: GroupFactory) -> None:
    group = group_factory(pin_policy=_policy(3, "evict_oldest"))
    a, b, c, d = _reordered_full_chat(group)
    created = expect(group.api.pin_request(group.chat_id, d), 201)
    assert created["evicted"] == [a]
    assert group.api.pinned_ids(group.chat_id) == [d, c, b]
    assert _without_moves(group.api.history_of(group.chat_id, a)) == ["added", "evicted"]


def test_evict_last_removes_the_pin_in_the_lowest_position(group_factory: GroupFactory) -> None:
    group = group_factory(pin_policy=_policy(3, "evict_last"))
    a, b, c, d = _reordered_full_chat(group)
    created = expect(group.api.pin_request(group.chat_id, d), 201)
    assert created["evicted"] == [b]
    assert group.api.pinned_ids(group.chat_id) == [d, a, c]
    assert _without_moves(group.api.history_of(group.chat_id, b)) == ["added", "evicted"]


def test_eviction_is_an_event(group_factory: GroupFactory) -> None:
    group = group_factory(pin_policy=_policy(1, "evict_last"))
    a, b = group.send(2)
    group.api.pin(group.chat_id, a)
    group.api.pin(group.chat_id, b)
    deleted = [e for e in group.app.events("pin.deleted") if e["payload"]["message_id"] == a]
    assert len(deleted) == 1
    assert deleted[0]["payload"]["chat_id"] == group.chat_id
    assert deleted[0]["payload"]["action"] in ("evicted", "replaced")


def test_parallel_pins_with_evict_oldest_leave_exactly_the_cap(
    group_factory: GroupFactory,
) -> None:
    group = group_factory(pin_policy=_policy(5, "evict_oldest"))
    messages = group.send(50)
    replies = _pin_all_at_once(group.api, group.chat_id, messages)

    assert [reply.status_code for reply in replies] == [201] * 50, [
        reply.text for reply in replies if reply.status_code != 201
    ]
    bodies = [reply.json() for reply in replies]
    remaining = group.api.pinned_ids(group.chat_id)
    assert len(remaining) == 5
    reported = Counter(m for body in bodies for m in body["evicted"])
    # Each of the 45 evicted pins is reported by exactly one pin, never a survivor.
    assert set(reported) == set(messages) - set(remaining)
    assert all(count == 1 for count in reported.values()), reported
    assert not set(reported) & set(remaining)
    # Each change is its own version.
    assert len({body["version"] for body in bodies}) == 50
    assert group.api.version(group.chat_id) == max(body["version"] for body in bodies)

    history = group.api.history(group.chat_id)
    evicted_rows = Counter(row["message_id"] for row in history if row["action"] == "evicted")
    assert evicted_rows == reported
    added_rows = Counter(row["message_id"] for row in history if row["action"] == "added")
    assert added_rows == Counter(messages)
    evicted_events = Counter(
        e["payload"]["message_id"]
        for e in group.app.events("pin.deleted")
        if e["payload"]["chat_id"] == group.chat_id and e["payload"]["action"] == "evicted"
    )
    assert evicted_events == reported


def test_parallel_pins_with_reject_never_exceed_the_cap(group_factory: GroupFactory) -> None:
    group = group_factory(pin_policy=_policy(5, "reject"))
    messages = group.send(50)
    replies = _pin_all_at_once(group.api, group.chat_id, messages)

    won = [m for m, reply in zip(messages, replies, strict=True) if reply.status_code == 201]
    assert len(won) == 5, Counter(reply.status_code for reply in replies)
    for reply in replies:
        if reply.status_code != 201:
            expect_error(reply, 422, "pin_limit")
    assert sorted(group.api.pinned_ids(group.chat_id)) == sorted(won)
    assert group.api.version(group.chat_id) == 5
    history = group.api.history(group.chat_id)
    assert sorted(row["message_id"] for row in history) == sorted(won)
    assert {row["action"] for row in history} == {"added"}


# ---- rights, each for member, admin and owner


def _attempt(group: Group, right: str, role: str) -> tuple[httpx.Response, Callable[[], Any]]:
    """Exercise `right` as the user holding `role`; returns the reply and a probe of the state
    the attempt would have changed (read through the api key)."""
    api, chat = group.api, group.chat_id
    actor = group.as_role(role)
    if right == "pin":
        [message] = group.send()
        return actor.pin_request(chat, message), lambda: group.api.history_of(chat, message)
    if right == "unpin_own":
        [message] = group.send()
        actor.pin(chat, message)  # pin is open to members in this setup
        return actor.unpin_request(chat, message), lambda: group.api.history_of(chat, message)
    if right == "unpin_any":
        [message] = group.send()
        group.as_user("carol").pin(chat, message)
        return actor.unpin_request(chat, message), lambda: group.api.history_of(chat, message)
    if right == "reorder":
        current = api.pinned_ids(chat)
        reply = actor.reorder_request(chat, list(reversed(current)))
        return reply, lambda: api.pins(chat)
    assert right == "edit"
    [pin] = api.pins(chat)["pins"][:1]
    reply = actor.patch_pin_request(chat, pin["message_id"], note=f"edited by {role}")
    return reply, lambda: api.pins(chat)


REFUSAL = {
    "pin": "may_not_pin",
    "unpin_own": "may_not_unpin",
    "unpin_any": "may_not_unpin",
    "reorder": "may_not_reorder",
    "edit": "may_not_edit_pin",
}


@pytest.mark.parametrize("lowest", ROLES)
@pytest.mark.parametrize("right", RIGHTS)
def test_each_right_is_enforced_per_role(
    group_factory: GroupFactory, right: str, lowest: str
) -> None:
    permissions = {right: lowest}
    if right == "unpin_own":
        # Only the own-pin right may let these unpins through.
        permissions.update(pin="member", unpin_any="owner")
    if right == "unpin_any":
        permissions.update(pin="member", unpin_own="member")
    group = group_factory(pin_policy=_policy(None, "reject", **permissions))
    assert group.api.chat(group.chat_id)["pin_policy"]["permissions"][right] == lowest
    for message in group.send(2):  # something to reorder and edit
        group.api.pin(group.chat_id, message)

    for role in ROLES:
        probe_before: Any = None
        if right in ("reorder", "edit"):
            probe_before = group.api.pins(group.chat_id)
        reply, probe = _attempt(group, right, role)
        if role_at_least(role, lowest):
            assert reply.status_code in (200, 201), (role, reply.text)
            continue
        expect_error(reply, 403, REFUSAL[right])
        if right == "pin":
            assert probe() == []
        elif right in ("unpin_own", "unpin_any"):
            assert probe() == ["added"]
        else:
            assert probe() == probe_before


def test_api_key_holds_every_right(group_factory: GroupFactory) -> None:
    owner_only = dict.fromkeys(RIGHTS, "owner")
    group = group_factory(pin_policy=_policy(None, "reject", **owner_only))
    chat = group.chat_id
    a, b = group.send(2)
    group.api.pin(chat, a)
    group.as_role("owner").pin(chat, b)
    expect(group.api.patch_pin_request(chat, b, note="platform"), 200)
    group.api.reorder(chat, [a, b])
    group.api.unpin(chat, b)  # the owner's pin
    group.api.unpin(chat, a)
    assert group.api.pins(chat)["pins"] == []


def test_pin_policy_changed_by_non_owner_is_refused(group: Group) -> None:
    for role in ("admin", "member"):
        reply = group.as_role(role).patch_chat_request(
            group.chat_id, pin_policy={"permissions": dict.fromkeys(RIGHTS, "member")}
        )
        expect_error(reply, 403)
    assert group.api.chat(group.chat_id)["pin_policy"] == DEFAULT_POLICY
    # The owner may; the new rule holds at once.
    group.as_role("owner").set_policy(
        group.chat_id, permissions={**DEFAULT_PERMISSIONS, "pin": "owner"}
    )
    [message] = group.send()
    expect_error(group.as_role("admin").pin_request(group.chat_id, message), 403, "may_not_pin")
    assert group.api.pins(group.chat_id)["pins"] == []


# ---- the app's default policy


def test_an_app_default_policy_shapes_new_native_chats_and_a_chat_overrides_it(
    native: NativeApp, feishu: Feishu
) -> None:
    default = {"max_pins": 2, "overflow": "evict_last", "permissions": {"pin": "admin"}}
    settings = expect(
        native.admin.patch(f"/v1/apps/{native.app_id}", json={"native_pin_policy": default}), 200
    )["settings"]
    assert settings["native_pin_policy"] == default

    plain = make_group(native)
    assert native.api.chat(plain.chat_id)["pin_policy"] == _policy(2, "evict_last", pin="admin")
    own = make_group(native, pin_policy={"max_pins": 5, "permissions": {"edit": "owner"}})
    assert native.api.chat(own.chat_id)["pin_policy"] == _policy(
        5, "evict_last", pin="admin", edit="owner"
    )
    # Chats already made keep their policy; vendor dialects keep their vendor's defaults.
    feishu.add_user("fiona")
    feishu_chat = feishu.create_chat(owner="fiona")
    assert native.api.chat(feishu_chat)["pin_policy"]["max_pins"] is None

    # A bad default is refused and changes nothing; {} brings the built-in policy back.
    for bad in ({"max_pins": 0}, {"overflow": "sideways"}, {"permissions": {"pin": "god"}}):
        reply = native.admin.patch(f"/v1/apps/{native.app_id}", json={"native_pin_policy": bad})
        assert reply.status_code == 400, reply.text
    expect(native.admin.patch(f"/v1/apps/{native.app_id}", json={"native_pin_policy": {}}), 200)
    assert native.api.chat(make_group(native).chat_id)["pin_policy"] == DEFAULT_POLICY

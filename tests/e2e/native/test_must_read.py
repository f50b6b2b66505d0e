"""Must-read pins and their acknowledgements (docs/native.md, "Batches, restore, must-read"):
every pin carries `must_read` and `acks {count, of}`; `of` is the chat's current members (the
owner included), `count` those of them who acknowledged; acks belong to the pin. The group
fixture's chat has four members: alice (owner), adam (admin), bob and carol."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.e2e.native.client import (
    Native,
    NativeApp,
    expect,
    expect_bad_request,
    expect_error,
    now_ms,
)
from tests.e2e.native.conftest import Group

MEMBERS = {"alice", "adam", "bob", "carol"}


def _patched(reply: Any) -> dict[str, Any]:
    """The pin a PATCH answers: "the pin changed" — bare, or as `{"pin", "version"}`."""
    body: dict[str, Any] = expect(reply, 200)
    pin: dict[str, Any] = body.get("pin", body)
    return pin


def _must_read(group: Group, note: str = "") -> str:
    [message] = group.send()
    group.api.pin(group.chat_id, message, must_read=True, note=note)
    return message


def _acked_by(acks: dict[str, Any]) -> set[str]:
    return {entry["user_id"] for entry in acks["acked"]}


def _acked_events(group: Group, message_id: str) -> list[dict[str, Any]]:
    return [
        e
        for e in group.app.events("pin.acked")
        if e["payload"]["chat_id"] == group.chat_id and e["payload"]["message_id"] == message_id
    ]


def _who_acked(event: dict[str, Any]) -> str:
    """The acknowledging user: named `user_id` in the payload, or the actor (a user token acts
    as itself)."""
    payload = event["payload"]
    user: str = payload.get("user_id") or payload["actor"]
    return user


def _unchanged(api: Native, chat_id: str, message_id: str) -> tuple[Any, ...]:
    return api.pins(chat_id), api.history(chat_id), api.acks(chat_id, message_id)


# ---- the pin shape


def test_must_read_pin_shows_the_flag_and_empty_acks(group: Group) -> None:
    chat = group.chat_id
    a, b = group.send(2)
    created = group.api.pin(chat, a, must_read=True)
    assert created["pin"]["must_read"] is True
    assert created["pin"]["acks"] == {"count": 0, "of": 4}
    plain = group.api.pin(chat, b)["pin"]
    assert plain["must_read"] is False
    assert plain["acks"] == {"count": 0, "of": 4}
    listed = {p["message_id"]: p for p in group.api.pins(chat)["pins"]}
    assert (listed[a]["must_read"], listed[a]["acks"]) == (True, {"count": 0, "of": 4})
    assert listed[b]["must_read"] is False

    acks = group.api.acks(chat, a)
    assert (acks["count"], acks["of"], acks["acked"]) == (0, 4, [])
    assert sorted(acks["pending"]) == sorted(MEMBERS)


def test_must_read_must_be_a_boolean(group: Group) -> None:
    chat = group.chat_id
    [a] = group.send()
    for wrong in ("true", 1, None):
        expect_bad_request(group.api.pin_request(chat, a, must_read=wrong))
    assert group.api.pins(chat) == {"version": 0, "pins": []}


# ---- acknowledging


def test_member_ack_counts_once(group: Group) -> None:
    chat = group.chat_id
    message = _must_read(group)
    bob = group.as_user("bob")
    assert bob.ack(chat, message) == {"count": 1, "of": 4}
    assert bob.ack(chat, message) == {"count": 1, "of": 4}
    assert group.api.pin_of(chat, message)["acks"] == {"count": 1, "of": 4}
    assert group.as_user("alice").ack(chat, message) == {"count": 2, "of": 4}


def test_api_key_acks_for_a_named_member(group: Group) -> None:
    chat = group.chat_id
    message = _must_read(group)
    assert group.api.ack(chat, message, user_id="carol") == {"count": 1, "of": 4}
    assert group.api.ack(chat, message, user_id="carol") == {"count": 1, "of": 4}
    assert group.as_user("carol").ack(chat, message) == {"count": 1, "of": 4}
    assert _acked_by(group.api.acks(chat, message)) == {"carol"}


def test_api_key_ack_needs_a_member(group: Group) -> None:
    chat = group.chat_id
    message = _must_read(group)
    before = _unchanged(group.api, chat, message)
    expect_bad_request(group.api.ack_request(chat, message))  # whose ack?
    for outsider in ("olga", "ghost"):  # a user outside the chat, an unknown user
        reply = group.api.ack_request(chat, message, user_id=outsider)
        assert reply.status_code in (400, 403, 404), reply.text
        expect_error(reply, reply.status_code)
    assert _unchanged(group.api, chat, message) == before


def test_a_user_token_acks_only_as_itself(group: Group) -> None:
    chat = group.chat_id
    message = _must_read(group)
    # Naming someone else is refused or ignored; it never acknowledges for carol.
    group.as_user("bob").ack_request(chat, message, user_id="carol")
    assert "carol" not in _acked_by(group.api.acks(chat, message))
    # Someone outside the chat may not acknowledge.
    before = _unchanged(group.api, chat, message)
    expect_error(group.as_user("olga").ack_request(chat, message), 403)
    assert _unchanged(group.api, chat, message) == before


def test_ack_of_a_pin_that_is_not_must_read_is_refused(group: Group) -> None:
    chat = group.chat_id
    [message] = group.send()
    group.api.pin(chat, message)
    before = (group.api.pins(chat), group.api.history(chat))
    expect_bad_request(group.as_user("bob").ack_request(chat, message), "not_must_read")
    expect_bad_request(group.api.ack_request(chat, message, user_id="bob"), "not_must_read")
    assert (group.api.pins(chat), group.api.history(chat)) == before
    assert group.api.pin_of(chat, message)["acks"] == {"count": 0, "of": 4}
    assert _acked_events(group, message) == []


def test_ack_of_a_message_not_pinned_is_not_found(group: Group) -> None:
    chat = group.chat_id
    message = _must_read(group)
    [never] = group.send()
    group.api.unpin(chat, message)
    before = (group.api.pins(chat), group.api.history(chat))
    for target in (message, never, "no-such-message"):
        expect_error(group.as_user("bob").ack_request(chat, target), 404, "not_found")
        expect_error(group.api.ack_request(chat, target, user_id="bob"), 404, "not_found")
        expect_error(group.api.acks_request(chat, target), 404, "not_found")
    assert (group.api.pins(chat), group.api.history(chat)) == before


def test_acks_list_who_acknowledged_and_who_is_pending(group: Group) -> None:
    chat = group.chat_id
    message = _must_read(group)
    started = now_ms()
    group.as_user("bob").ack(chat, message)
    group.api.ack(chat, message, user_id="adam")
    finished = now_ms()

    acks = group.api.acks(chat, message)
    assert set(acks) == {"count", "of", "acked", "pending"}
    assert (acks["count"], acks["of"]) == (2, 4)
    assert sorted(entry["user_id"] for entry in acks["acked"]) == ["adam", "bob"]
    for entry in acks["acked"]:
        assert set(entry) == {"user_id", "at_ms"}
        assert started - 5_000 <= entry["at_ms"] <= finished + 5_000
    assert sorted(acks["pending"]) == ["alice", "carol"]
    # A member may read them too.
    assert group.as_user("carol").acks(chat, message) == acks


def test_a_second_ack_keeps_the_first_time(group: Group) -> None:
    chat = group.chat_id
    message = _must_read(group)
    bob = group.as_user("bob")
    bob.ack(chat, message)
    [first] = group.api.acks(chat, message)["acked"]
    bob.ack(chat, message)
    assert group.api.acks(chat, message)["acked"] == [first]


def test_acks_write_no_history(group: Group) -> None:
    chat = group.chat_id
    message = _must_read(group)
    rows = group.api.history(chat)
    group.as_user("bob").ack(chat, message)
    group.api.ack(chat, message, user_id="carol")
    assert group.api.history(chat) == rows


def test_acks_in_another_apps_chat_are_not_found(
    group: Group, native_factory: Callable[[], NativeApp]
) -> None:
    chat = group.chat_id
    message = _must_read(group)
    before = _unchanged(group.api, chat, message)
    stranger = native_factory().api
    expect_error(stranger.ack_request(chat, message, user_id="bob"), 404, "not_found")
    expect_error(stranger.acks_request(chat, message), 404, "not_found")
    assert _unchanged(group.api, chat, message) == before


# ---- membership


def test_a_member_who_leaves_no_longer_counts(group: Group) -> None:
    chat = group.chat_id
    message = _must_read(group)
    group.as_user("bob").ack(chat, message)
    group.as_user("carol").ack(chat, message)
    assert group.api.pin_of(chat, message)["acks"] == {"count": 2, "of": 4}

    # carol acknowledged and leaves: both numbers drop.
    assert group.as_user("carol").remove_member_request(chat, "carol").status_code == 204
    assert group.api.pin_of(chat, message)["acks"] == {"count": 1, "of": 3}
    acks = group.api.acks(chat, message)
    assert (acks["count"], acks["of"]) == (1, 3)
    assert _acked_by(acks) == {"bob"}
    assert sorted(acks["pending"]) == ["adam", "alice"]

    # adam had not acknowledged: only `of` drops.
    assert group.api.remove_member_request(chat, "adam").status_code == 204
    assert group.api.pin_of(chat, message)["acks"] == {"count": 1, "of": 2}
    assert group.as_user("alice").ack(chat, message) == {"count": 2, "of": 2}
    # The one who left may not acknowledge any more.
    expect_error(group.as_user("carol").ack_request(chat, message), 403)
    assert group.api.acks(chat, message)["count"] == 2


def test_a_new_member_is_pending(group: Group) -> None:
    chat = group.chat_id
    message = _must_read(group)
    group.as_user("bob").ack(chat, message)
    group.api.add_member(chat, "olga")
    assert group.api.pin_of(chat, message)["acks"] == {"count": 1, "of": 5}
    assert "olga" in group.api.acks(chat, message)["pending"]
    assert group.as_user("olga").ack(chat, message) == {"count": 2, "of": 5}


# ---- acks belong to the pin


def test_pinning_again_starts_from_no_acks(group: Group) -> None:
    chat = group.chat_id
    message = _must_read(group)
    group.as_user("bob").ack(chat, message)
    group.as_user("carol").ack(chat, message)
    group.api.unpin(chat, message)

    again = group.api.pin(chat, message, must_read=True)["pin"]
    assert again["acks"] == {"count": 0, "of": 4}
    acks = group.api.acks(chat, message)
    assert (acks["count"], acks["acked"]) == (0, [])
    assert sorted(acks["pending"]) == sorted(MEMBERS)
    assert group.as_user("bob").ack(chat, message) == {"count": 1, "of": 4}


def test_a_restored_pin_starts_from_no_acks(group: Group) -> None:
    chat = group.chat_id
    message = _must_read(group)
    group.as_user("bob").ack(chat, message)
    group.api.unpin(chat, message)
    restored = group.api.restore(chat, message)["pin"]
    assert (restored["must_read"], restored["acks"]) == (True, {"count": 0, "of": 4})
    assert group.api.acks(chat, message)["acked"] == []


def test_acks_are_per_pin(group: Group) -> None:
    chat = group.chat_id
    first, second = _must_read(group), _must_read(group)
    group.as_user("bob").ack(chat, first)
    listed = {p["message_id"]: p["acks"] for p in group.api.pins(chat)["pins"]}
    assert listed == {first: {"count": 1, "of": 4}, second: {"count": 0, "of": 4}}


# ---- PATCH must_read


def test_patch_must_read_needs_the_edit_right(group: Group) -> None:
    chat = group.chat_id
    [message] = group.send()
    group.as_user("bob").pin(chat, message)
    before = (group.api.pins(chat), group.api.history(chat))
    # Default policy: edit is admin, even for the member who made the pin.
    reply = group.as_user("bob").patch_pin_request(chat, message, must_read=True)
    expect_error(reply, 403, "may_not_edit_pin")
    assert (group.api.pins(chat), group.api.history(chat)) == before

    changed = _patched(group.as_user("adam").patch_pin_request(chat, message, must_read=True))
    assert (changed["message_id"], changed["must_read"]) == (message, True)
    assert changed["acks"] == {"count": 0, "of": 4}
    assert group.api.pin_of(chat, message)["must_read"] is True
    last = group.api.history(chat)[-1]
    assert (last["message_id"], last["action"], last["actor"]) == (message, "edited", "adam")
    # Now it may be acknowledged.
    assert group.as_user("bob").ack(chat, message) == {"count": 1, "of": 4}


def test_patch_must_read_off_refuses_further_acks(group: Group) -> None:
    chat = group.chat_id
    message = _must_read(group, note="agenda")
    changed = _patched(group.api.patch_pin_request(chat, message, must_read=False))
    assert (changed["must_read"], changed["note"]) == (False, "agenda")
    expect_bad_request(group.as_user("bob").ack_request(chat, message), "not_must_read")


def test_patch_must_read_must_be_a_boolean(group: Group) -> None:
    chat = group.chat_id
    [message] = group.send()
    group.api.pin(chat, message)
    before = group.api.pins(chat)
    expect_bad_request(group.api.patch_pin_request(chat, message, must_read="yes"))
    assert group.api.pins(chat) == before


# ---- the event


def test_ack_writes_one_pin_acked_event(group: Group) -> None:
    chat = group.chat_id
    message = _must_read(group)
    group.as_user("bob").ack(chat, message)
    group.as_user("bob").ack(chat, message)  # counted once: no second change
    group.api.ack(chat, message, user_id="carol")
    events = _acked_events(group, message)
    assert [e["type"] for e in events] == ["pin.acked", "pin.acked"]
    assert [_who_acked(e) for e in events] == ["bob", "carol"]
    assert events[0]["seq"] < events[1]["seq"]

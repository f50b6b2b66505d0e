"""Pins on `/v1` (docs/native.md, "Pins"): positions, re-pins, unpins, conditional changes,
expiry fields and notes; every refusal leaves the list and its version as they were."""

from __future__ import annotations

from typing import Any

from tests.e2e.native.client import (
    expect,
    expect_bad_request,
    expect_error,
    now_ms,
)
from tests.e2e.native.conftest import Group

YEAR_S = 31_536_000


def _ids(listing: dict[str, Any]) -> list[str]:
    return [pin["message_id"] for pin in listing["pins"]]


def _patched(reply: Any) -> dict[str, Any]:
    """The pin a PATCH answers: "the pin changed" — bare, or as `{"pin", "version"}`."""
    body: dict[str, Any] = expect(reply, 200)
    pin: dict[str, Any] = body.get("pin", body)
    return pin


def test_new_pin_has_the_documented_shape(group: Group) -> None:
    [message] = group.send()
    before = now_ms()
    created = expect(group.as_role("member").pin_request(group.chat_id, message), 201)
    assert created["version"] == 1
    assert created["evicted"] == []
    pin = created["pin"]
    assert pin["message_id"] == message
    assert pin["position"] == 0
    assert pin["pinned_by"] == "bob"
    assert before - 5_000 <= pin["pinned_at_ms"] <= now_ms() + 5_000
    assert pin["expires_at_ms"] is None
    assert pin["note"] == ""
    assert pin["dialect"] == "native"
    assert group.api.pins(group.chat_id) == {"version": 1, "pins": [pin]}


def test_new_pin_goes_to_the_top(group: Group) -> None:
    first, second, third = group.send(3)
    for message in (first, second, third):
        group.api.pin(group.chat_id, message)
    listing = group.api.pins(group.chat_id)
    assert _ids(listing) == [third, second, first]
    assert [pin["position"] for pin in listing["pins"]] == [0, 1, 2]


def test_position_inserts_the_pin_there(group: Group) -> None:
    a, b, c, d, e = group.send(5)
    for message in (a, b, c):
        group.api.pin(group.chat_id, message)
    # [c, b, a]
    created = group.api.pin(group.chat_id, d, position=1)
    assert created["pin"]["position"] == 1
    assert _ids(group.api.pins(group.chat_id)) == [c, d, b, a]
    created = group.api.pin(group.chat_id, e, position=0)
    assert created["pin"]["position"] == 0
    listing = group.api.pins(group.chat_id)
    assert _ids(listing) == [e, c, d, b, a]
    assert [pin["position"] for pin in listing["pins"]] == [0, 1, 2, 3, 4]


def test_position_at_or_past_the_end_puts_the_pin_at_the_end(group: Group) -> None:
    a, b, c, d = group.send(4)
    group.api.pin(group.chat_id, a)
    group.api.pin(group.chat_id, b)
    # [b, a]: position 2 is exactly the end, 99 far past it.
    assert group.api.pin(group.chat_id, c, position=2)["pin"]["position"] == 2
    assert group.api.pin(group.chat_id, d, position=99)["pin"]["position"] == 3
    assert _ids(group.api.pins(group.chat_id)) == [b, a, c, d]


def test_negative_position_is_refused(group: Group) -> None:
    a, b = group.send(2)
    group.api.pin(group.chat_id, a)
    # Out of range: the generic code or the specific reason both fit the contract.
    error = expect_bad_request(group.api.pin_request(group.chat_id, b, position=-1))
    assert {error["code"], error["reason"]} <= {"invalid_argument", "invalid_position"}, error
    assert group.api.pins(group.chat_id)["version"] == 1
    assert group.api.pinned_ids(group.chat_id) == [a]


def test_repin_returns_the_existing_pin_and_changes_nothing(group: Group) -> None:
    a, b = group.send(2)
    group.api.pin(group.chat_id, a)
    original = group.as_role("member").pin(group.chat_id, b, note="keep")
    before = group.api.pins(group.chat_id)
    # Again, by someone else, with other fields: the first pin stands as it was.
    again = expect(
        group.as_role("admin").pin_request(group.chat_id, b, position=1, note="changed"), 200
    )
    assert again["pin"] == original["pin"]
    assert again["version"] == before["version"] == 2
    assert again.get("evicted", []) == []
    assert group.api.pins(group.chat_id) == before
    assert [row["action"] for row in group.api.history(group.chat_id)] == ["added", "added"]


def test_version_grows_by_one_per_change_and_is_the_etag(group: Group) -> None:
    a, b, c = group.send(3)
    chat = group.chat_id
    assert group.api.pins(chat)["version"] == 0
    assert group.api.pin(chat, a)["version"] == 1
    assert group.api.pin(chat, b)["version"] == 2
    assert group.api.pin(chat, c)["version"] == 3
    assert group.api.reorder(chat, [a, b, c])["version"] == 4
    assert group.api.unpin(chat, b) == 5
    reply = group.api.pins_request(chat)
    assert reply.headers["etag"] == '"5"'
    assert reply.json()["version"] == 5
    assert group.api.chat(chat)["version"] == 5


def test_unpin_returns_the_new_version(group: Group) -> None:
    a, b = group.send(2)
    group.api.pin(group.chat_id, a)
    group.api.pin(group.chat_id, b)
    assert expect(group.api.unpin_request(group.chat_id, a), 200) == {"version": 3}
    assert group.api.pins(group.chat_id)["version"] == 3
    assert group.api.pinned_ids(group.chat_id) == [b]
    assert group.api.pins(group.chat_id)["pins"][0]["position"] == 0


def test_unpin_of_a_message_not_pinned_is_not_found(group: Group) -> None:
    a, b = group.send(2)
    group.api.pin(group.chat_id, a)
    expect_error(group.api.unpin_request(group.chat_id, b), 404, "not_found")
    expect_error(group.api.unpin_request(group.chat_id, "om_unknown"), 404, "not_found")
    group.api.unpin(group.chat_id, a)
    expect_error(group.api.unpin_request(group.chat_id, a), 404, "not_found")
    assert group.api.pins(group.chat_id) == {"version": 2, "pins": []}


def test_pin_of_an_unknown_message_is_not_found(group: Group) -> None:
    expect_error(group.api.pin_request(group.chat_id, "no-such-message"), 404, "not_found")
    assert group.api.pins(group.chat_id) == {"version": 0, "pins": []}


def test_pin_of_another_chats_message_is_refused(group: Group, group_factory: Any) -> None:
    other = group_factory()
    [foreign] = other.send()
    reply = group.api.pin_request(group.chat_id, foreign)
    assert reply.status_code in (400, 404), reply.text
    expect_error(reply, reply.status_code)
    assert group.api.pins(group.chat_id) == {"version": 0, "pins": []}
    assert other.api.pins(other.chat_id) == {"version": 0, "pins": []}


def test_if_match_makes_a_pin_conditional(group: Group) -> None:
    a, b, c = group.send(3)
    group.api.pin(group.chat_id, a)
    expect(group.api.pin_request(group.chat_id, b, if_match=1), 201)
    before = group.api.pins(group.chat_id)
    for stale in (0, 1, 3):
        reply = group.api.pin_request(group.chat_id, c, if_match=stale)
        expect_error(reply, 412, "version_mismatch")
    assert group.api.pins(group.chat_id) == before
    assert group.api.history_of(group.chat_id, c) == []


def test_if_match_makes_an_unpin_conditional(group: Group) -> None:
    a, b = group.send(2)
    group.api.pin(group.chat_id, a)
    group.api.pin(group.chat_id, b)
    before = group.api.pins(group.chat_id)
    expect_error(group.api.unpin_request(group.chat_id, a, if_match=1), 412, "version_mismatch")
    assert group.api.pins(group.chat_id) == before
    assert expect(group.api.unpin_request(group.chat_id, a, if_match=2), 200) == {"version": 3}
    assert group.api.pinned_ids(group.chat_id) == [b]


def test_note_and_ttl_at_pin_time(group: Group) -> None:
    a, b = group.send(2)
    before = now_ms()
    pin = group.api.pin(group.chat_id, a, note="read me", ttl_seconds=3600)["pin"]
    after = now_ms()
    assert pin["note"] == "read me"
    assert before + 3_600_000 - 5_000 <= pin["expires_at_ms"] <= after + 3_600_000 + 5_000
    at = now_ms() + 86_400_000
    assert group.api.pin(group.chat_id, b, expires_at_ms=at)["pin"]["expires_at_ms"] == at
    listed = {p["message_id"]: p for p in group.api.pins(group.chat_id)["pins"]}
    assert listed[a]["note"] == "read me"
    assert listed[a]["expires_at_ms"] == pin["expires_at_ms"]
    assert listed[b]["expires_at_ms"] == at


def test_invalid_expiry_is_refused(group: Group) -> None:
    [a] = group.send()
    bad: list[dict[str, Any]] = [
        {"ttl_seconds": 0},
        {"ttl_seconds": -5},
        {"ttl_seconds": YEAR_S + 1},
        {"expires_at_ms": now_ms() - 60_000},
        {"ttl_seconds": 60, "expires_at_ms": now_ms() + 60_000},
    ]
    for body in bad:
        expect_bad_request(group.api.pin_request(group.chat_id, a, **body))
    assert group.api.pins(group.chat_id) == {"version": 0, "pins": []}
    # The longest ttl is accepted.
    pin = group.api.pin(group.chat_id, a, ttl_seconds=YEAR_S)["pin"]
    assert pin["expires_at_ms"] >= now_ms() + (YEAR_S - 60) * 1000


def test_expiry_in_the_past_names_invalid_expiry(group: Group) -> None:
    [a] = group.send()
    reply = group.api.pin_request(group.chat_id, a, expires_at_ms=now_ms() - 60_000)
    expect_bad_request(reply, "invalid_expiry")


# ---- PATCH a pin


def test_patch_changes_the_note(group: Group) -> None:
    a, b = group.send(2)
    group.api.pin(group.chat_id, a)
    group.api.pin(group.chat_id, b)
    changed = _patched(group.as_role("admin").patch_pin_request(group.chat_id, a, note="v2"))
    assert changed["message_id"] == a
    assert changed["note"] == "v2"
    listed = group.api.pins(group.chat_id)["pins"]
    assert [(p["message_id"], p["note"]) for p in listed] == [(b, ""), (a, "v2")]


def test_patch_sets_and_removes_the_expiry(group: Group) -> None:
    [a] = group.send()
    pinned = group.api.pin(group.chat_id, a)["pin"]
    before = now_ms()
    changed = _patched(group.api.patch_pin_request(group.chat_id, a, ttl_seconds=600))
    assert before + 600_000 - 5_000 <= changed["expires_at_ms"] <= now_ms() + 600_000 + 5_000
    at = now_ms() + 7_200_000
    changed = _patched(group.api.patch_pin_request(group.chat_id, a, expires_at_ms=at))
    assert changed["expires_at_ms"] == at
    changed = _patched(group.api.patch_pin_request(group.chat_id, a, expires_at_ms=None))
    assert changed["expires_at_ms"] is None
    [listed] = group.api.pins(group.chat_id)["pins"]
    assert listed["expires_at_ms"] is None
    # Editing changes neither where the pin stands nor when it was made.
    assert (listed["position"], listed["pinned_at_ms"], listed["pinned_by"]) == (
        pinned["position"],
        pinned["pinned_at_ms"],
        pinned["pinned_by"],
    )


def test_patch_needs_the_edit_right(group: Group) -> None:
    [a] = group.send()
    group.as_role("member").pin(group.chat_id, a, note="mine")
    before = group.api.pins(group.chat_id)
    # Default policy: edit is admin; even the member who made the pin may not edit it.
    reply = group.as_role("member").patch_pin_request(group.chat_id, a, note="changed")
    expect_error(reply, 403, "may_not_edit_pin")
    reply = group.as_role("member").patch_pin_request(group.chat_id, a, ttl_seconds=60)
    expect_error(reply, 403, "may_not_edit_pin")
    assert group.api.pins(group.chat_id) == before
    assert group.api.history_of(group.chat_id, a) == ["added"]


def test_patch_of_a_message_not_pinned_is_not_found(group: Group) -> None:
    [a] = group.send()
    expect_error(group.api.patch_pin_request(group.chat_id, a, note="x"), 404, "not_found")
    assert group.api.pins(group.chat_id) == {"version": 0, "pins": []}


def test_patch_with_invalid_expiry_changes_nothing(group: Group) -> None:
    [a] = group.send()
    group.api.pin(group.chat_id, a, note="n")
    before = group.api.pins(group.chat_id)
    for body in ({"ttl_seconds": 0}, {"expires_at_ms": now_ms() - 1000}):
        expect_bad_request(group.api.patch_pin_request(group.chat_id, a, **body))
    assert group.api.pins(group.chat_id) == before

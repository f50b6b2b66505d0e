"""Users, chats, members and messages on `/v1` (docs/native.md, "Users, chats, members,
messages"): each row of the table, its refusals, and that a refusal changes nothing."""

from __future__ import annotations

import re

from tests.e2e.native.client import (
    DEFAULT_POLICY,
    NativeApp,
    expect,
    expect_bad_request,
    expect_error,
    now_ms,
)
from tests.e2e.native.conftest import Group

# ---- users


def test_create_user_and_read_it_back(native: NativeApp) -> None:
    before = now_ms()
    created = expect(native.api.create_user_request("alice", "Alice A."), 201)
    assert (created["id"], created["name"]) == ("alice", "Alice A.")
    user = expect(native.api.get_user_request("alice"), 200)
    assert (user["id"], user["name"], user["is_bot"]) == ("alice", "Alice A.", False)
    assert isinstance(user["registered_at_ms"], int)
    assert before - 5_000 <= user["registered_at_ms"] <= now_ms() + 5_000


def test_existing_user_id_answers_409_user_exists(native: NativeApp) -> None:
    native.api.create_user("alice", "First")
    expect_error(native.api.create_user_request("alice", "Second"), 409, "user_exists")
    assert expect(native.api.get_user_request("alice"), 200)["name"] == "First"


def test_any_credential_reads_a_user(native: NativeApp) -> None:
    native.users("alice", "bob")
    assert expect(native.as_user("bob").get_user_request("alice"), 200)["id"] == "alice"
    expect_error(native.api.get_user_request("nobody"), 404, "not_found")


# ---- chats


def test_api_key_creates_a_chat_with_the_documented_shape(native: NativeApp) -> None:
    native.users("alice", "bob")
    before = now_ms()
    chat = expect(
        native.api.create_chat_request(name="Launch", owner="alice", members=["bob"]), 201
    )
    assert re.fullmatch(r"ch_[0-9a-f]{24}", chat["id"]), chat["id"]
    assert chat["name"] == "Launch"
    assert chat["owner"] == "alice"
    assert chat["dialect"] == "native"
    assert before - 5_000 <= chat["created_at_ms"] <= now_ms() + 5_000
    assert sorted(chat["members"], key=lambda m: m["user_id"]) == [
        {"user_id": "alice", "role": "owner"},
        {"user_id": "bob", "role": "member"},
    ]
    assert chat["pin_policy"] == DEFAULT_POLICY
    assert chat["version"] == 0
    assert native.api.chat(chat["id"]) == chat


def test_owner_listed_in_members_is_still_the_owner(native: NativeApp) -> None:
    native.users("alice", "bob")
    chat = native.api.create_chat(owner="alice", members=["alice", "bob"])
    assert native.api.roles(chat["id"]) == {"alice": "owner", "bob": "member"}


def test_chat_ids_are_caller_chosen_once(native: NativeApp) -> None:
    native.users("alice", "bob")
    chat = native.api.create_chat(id="ch_mine", name="first", owner="alice")
    assert chat["id"] == "ch_mine"
    reply = native.api.create_chat_request(id="ch_mine", name="second", owner="bob")
    expect_error(reply, 409, "chat_exists")
    again = native.api.chat("ch_mine")
    assert (again["name"], again["owner"]) == ("first", "alice")


def test_generated_chat_ids_differ(native: NativeApp) -> None:
    native.users("alice")
    ids = {native.api.create_chat(owner="alice")["id"] for _ in range(3)}
    assert len(ids) == 3


def test_chat_created_with_a_pin_policy_keeps_it(native: NativeApp) -> None:
    native.users("alice")
    policy = {
        "max_pins": 3,
        "overflow": "evict_last",
        "permissions": {
            "pin": "admin",
            "unpin_own": "admin",
            "unpin_any": "owner",
            "reorder": "owner",
            "edit": "member",
        },
    }
    chat = native.api.create_chat(owner="alice", pin_policy=policy)
    assert chat["pin_policy"] == policy
    assert native.api.chat(chat["id"])["pin_policy"] == policy


def test_unknown_chat_is_not_found(native: NativeApp) -> None:
    expect_error(native.api.get_chat_request("ch_nope"), 404, "not_found")
    expect_error(native.api.pins_request("ch_nope"), 404, "not_found")
    expect_error(native.api.send_request("ch_nope", "x", sender="alice"), 404, "not_found")


def test_member_reads_the_chat(group: Group) -> None:
    chat = group.as_role("member").chat(group.chat_id)
    assert chat["id"] == group.chat_id
    assert {m["user_id"]: m["role"] for m in chat["members"]} == {
        "alice": "owner",
        "adam": "admin",
        "bob": "member",
        "carol": "member",
    }


def test_admin_renames_the_chat_member_may_not(group: Group) -> None:
    renamed = expect(group.as_role("admin").patch_chat_request(group.chat_id, name="Ops"), 200)
    assert renamed["name"] == "Ops"
    expect_error(group.as_role("member").patch_chat_request(group.chat_id, name="Mine"), 403)
    assert group.api.chat(group.chat_id)["name"] == "Ops"


def test_pin_policy_patch_replaces_the_given_keys_only(group: Group) -> None:
    owner = group.as_role("owner")
    chat = expect(owner.patch_chat_request(group.chat_id, pin_policy={"max_pins": 7}), 200)
    assert chat["pin_policy"] == {**DEFAULT_POLICY, "max_pins": 7}
    chat = expect(
        owner.patch_chat_request(group.chat_id, pin_policy={"overflow": "evict_oldest"}), 200
    )
    assert chat["pin_policy"] == {**DEFAULT_POLICY, "max_pins": 7, "overflow": "evict_oldest"}
    chat = expect(owner.patch_chat_request(group.chat_id, pin_policy={"max_pins": None}), 200)
    assert chat["pin_policy"] == {**DEFAULT_POLICY, "overflow": "evict_oldest"}
    assert group.api.chat(group.chat_id)["pin_policy"] == chat["pin_policy"]


def test_invalid_pin_policy_is_refused(group: Group) -> None:
    bad = [
        {"max_pins": 0},
        {"max_pins": 1001},
        {"max_pins": -1},
        {"overflow": "replace_everything"},
        {"permissions": {**DEFAULT_POLICY["permissions"], "pin": "superuser"}},
    ]
    for policy in bad:
        expect_bad_request(group.api.patch_chat_request(group.chat_id, pin_policy=policy))
    assert group.api.chat(group.chat_id)["pin_policy"] == DEFAULT_POLICY
    edges = (1, 1000)
    for max_pins in edges:
        assert group.api.set_policy(group.chat_id, max_pins=max_pins)["max_pins"] == max_pins


def test_pin_policy_of_the_wrong_type_is_refused(group: Group) -> None:
    # "wrong type" is a 400 (docs/native.md, "Errors"): a string is not an integer.
    for policy in ({"max_pins": "3"}, {"max_pins": 2.5}, {"overflow": 1}, {"permissions": "all"}):
        expect_bad_request(group.api.patch_chat_request(group.chat_id, pin_policy=policy))
    assert group.api.chat(group.chat_id)["pin_policy"] == DEFAULT_POLICY


# ---- members


def test_members_are_added_with_a_role(group: Group) -> None:
    group.api.create_user("dave")
    group.api.create_user("erin")
    member = expect(group.as_role("admin").add_member_request(group.chat_id, "dave"), 201)
    assert (member["user_id"], member["role"]) == ("dave", "member")
    owner = group.as_role("owner")
    member = expect(owner.add_member_request(group.chat_id, "erin", role="admin"), 201)
    assert (member["user_id"], member["role"]) == ("erin", "admin")
    roles = group.api.roles(group.chat_id)
    assert (roles["dave"], roles["erin"]) == ("member", "admin")


def test_adding_a_member_twice_answers_409_member_exists(group: Group) -> None:
    reply = group.api.add_member_request(group.chat_id, "bob", role="admin")
    expect_error(reply, 409, "member_exists")
    assert group.api.roles(group.chat_id)["bob"] == "member"


def test_plain_member_may_not_add_members(group: Group) -> None:
    expect_error(group.as_role("member").add_member_request(group.chat_id, "olga"), 403)
    assert "olga" not in group.api.roles(group.chat_id)


def test_adding_an_unknown_user_is_not_found(group: Group) -> None:
    expect_error(group.api.add_member_request(group.chat_id, "ghost"), 404, "not_found")
    assert "ghost" not in group.api.roles(group.chat_id)


def test_admin_removes_a_member(group: Group) -> None:
    reply = group.as_role("admin").remove_member_request(group.chat_id, "carol")
    assert reply.status_code == 204, reply.text
    assert "carol" not in group.api.roles(group.chat_id)
    expect_error(group.as_user("carol").get_chat_request(group.chat_id), 403, "not_chat_member")


def test_member_leaves_but_may_not_remove_others(group: Group) -> None:
    bob = group.as_role("member")
    expect_error(bob.remove_member_request(group.chat_id, "carol"), 403)
    assert "carol" in group.api.roles(group.chat_id)
    assert bob.remove_member_request(group.chat_id, "bob").status_code == 204
    assert "bob" not in group.api.roles(group.chat_id)


def test_owner_cannot_be_removed(group: Group) -> None:
    for client in (group.api, group.as_role("admin"), group.as_role("owner")):
        reply = client.remove_member_request(group.chat_id, "alice")
        expect_error(reply, 409, "cannot_remove_owner")
    assert group.api.roles(group.chat_id)["alice"] == "owner"


# ---- messages


def test_member_sends_as_itself(group: Group) -> None:
    before = now_ms()
    message = expect(group.as_role("member").send_request(group.chat_id, "status?"), 201)
    assert message["chat_id"] == group.chat_id
    assert message["sender"] == "bob"
    assert message["text"] == "status?"
    assert isinstance(message["id"], str) and message["id"]
    assert before - 5_000 <= message["created_at_ms"] <= now_ms() + 5_000


def test_api_key_sends_as_the_named_sender(group: Group) -> None:
    message = expect(group.api.send_request(group.chat_id, "from carol", sender="carol"), 201)
    assert message["sender"] == "carol"
    # The message is real: it can be pinned.
    assert group.api.pin(group.chat_id, message["id"])["pin"]["message_id"] == message["id"]


def test_message_ids_differ(group: Group) -> None:
    ids = group.send(5)
    assert len(set(ids)) == 5

"""Credentials on `/v1`: who a request acts as, and that a tenant never reaches another's data
(docs/native.md, "Credentials")."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import httpx

from tests.e2e.native.client import (
    Native,
    NativeApp,
    expect,
    expect_error,
    now_ms,
    wait_until,
)
from tests.e2e.native.conftest import Group


def test_no_credentials_answer_401_missing_credentials(group: Group) -> None:
    base = group.app.base_url
    chat_id = group.chat_id
    expect_error(httpx.get(f"{base}/v1/chats/{chat_id}"), 401, "missing_credentials")
    expect_error(httpx.get(f"{base}/v1/chats/{chat_id}/pins"), 401, "missing_credentials")
    message_id = group.send()[0]
    reply = httpx.post(f"{base}/v1/chats/{chat_id}/pins", json={"message_id": message_id})
    expect_error(reply, 401, "missing_credentials")
    reply = httpx.post(f"{base}/v1/chats", json={"id": "ch_anonymous", "name": "x"})
    expect_error(reply, 401, "missing_credentials")
    # Nothing was done on the refused calls.
    assert group.api.pins(chat_id) == {"version": 0, "pins": []}
    expect_error(group.api.get_chat_request("ch_anonymous"), 404, "not_found")


def test_unknown_credentials_answer_401_unknown_credentials(group: Group) -> None:
    message_id = group.send()[0]
    key = group.app.app["native"]["api_key"]
    wrong = [
        "cpk_" + secrets.token_hex(20),
        "cpu_" + secrets.token_hex(20),
        key[:-1] + ("0" if key[-1] != "0" else "1"),
        "not-a-credential",
    ]
    for credential in wrong:
        client = Native(group.app.base_url, credential)
        try:
            expect_error(client.get_chat_request(group.chat_id), 401, "unknown_credentials")
            reply = client.pin_request(group.chat_id, message_id)
            expect_error(reply, 401, "unknown_credentials")
        finally:
            client.close()
    assert group.api.pins(group.chat_id) == {"version": 0, "pins": []}


def test_a_new_api_key_retires_the_old_one(native: NativeApp) -> None:
    native.users("alice")
    chat_id = native.api.create_chat(owner="alice")["id"]
    old = native.api
    new_key = expect(native.admin.post(f"/v1/apps/{native.app_id}/native-key"), 201)["api_key"]
    assert new_key.startswith("cpk_") and new_key != old.credential
    expect_error(old.get_chat_request(chat_id), 401, "unknown_credentials")
    fresh = Native(native.base_url, new_key)
    try:
        assert fresh.chat(chat_id)["owner"] == "alice"
    finally:
        fresh.close()


def test_expired_user_token_answers_401_unknown_credentials(group: Group) -> None:
    token = group.app.issue_token("bob", ttl_seconds=1)
    bob = Native(group.app.base_url, token)
    try:
        assert bob.chat(group.chat_id)["id"] == group.chat_id
        # The token's lifetime is wall-clock time: poll until it has run out (about 1 s).
        wait_until(
            lambda: bob.get_chat_request(group.chat_id).status_code != 200,
            now_ms() + 5000,
            "the 1 s token to expire",
        )
        expect_error(bob.get_chat_request(group.chat_id), 401, "unknown_credentials")
    finally:
        bob.close()


def test_another_apps_chat_is_not_found(native_factory: Callable[[], NativeApp]) -> None:
    a, b = native_factory(), native_factory()
    a.users("alice")
    b.users("alice")
    chat_b = b.api.create_chat(name="b's", owner="alice")["id"]
    message_b = b.api.send(chat_b, "secret", sender="alice")
    for client in (a.api, a.as_user("alice")):
        expect_error(client.get_chat_request(chat_b), 404, "not_found")
        expect_error(client.pins_request(chat_b), 404, "not_found")
        expect_error(client.history_request(chat_b), 404, "not_found")
        expect_error(client.pin_request(chat_b, message_b), 404, "not_found")
        expect_error(client.send_request(chat_b, "x"), 404, "not_found")
        expect_error(client.patch_chat_request(chat_b, name="taken"), 404, "not_found")
        expect_error(client.add_member_request(chat_b, "alice"), 404, "not_found")
        expect_error(client.reorder_request(chat_b, []), 404, "not_found")
        expect_error(client.unpin_request(chat_b, message_b), 404, "not_found")
    # B's chat is as it was.
    chat = b.api.chat(chat_b)
    assert chat["name"] == "b's"
    assert b.api.pins(chat_b) == {"version": 0, "pins": []}
    assert b.api.history(chat_b) == []


def test_another_apps_message_is_not_found(native_factory: Callable[[], NativeApp]) -> None:
    a, b = native_factory(), native_factory()
    a.users("alice")
    b.users("alice")
    chat_a = a.api.create_chat(owner="alice")["id"]
    chat_b = b.api.create_chat(owner="alice")["id"]
    message_b = b.api.send(chat_b, "b's message", sender="alice")
    expect_error(a.api.pin_request(chat_a, message_b), 404, "not_found")
    assert a.api.pins(chat_a)["pins"] == []


def test_the_same_id_in_two_apps_names_two_chats(
    native_factory: Callable[[], NativeApp],
) -> None:
    a, b = native_factory(), native_factory()
    a.users("alice")
    b.users("bob")
    chat_a = a.api.create_chat(id="ch_shared", name="a", owner="alice")
    chat_b = b.api.create_chat(id="ch_shared", name="b", owner="bob")
    assert chat_a["id"] == chat_b["id"] == "ch_shared"
    assert (a.api.chat("ch_shared")["name"], a.api.chat("ch_shared")["owner"]) == ("a", "alice")
    assert (b.api.chat("ch_shared")["name"], b.api.chat("ch_shared")["owner"]) == ("b", "bob")
    message = a.api.send("ch_shared", "in a", sender="alice")
    a.api.pin("ch_shared", message)
    assert b.api.pins("ch_shared") == {"version": 0, "pins": []}


def test_user_token_acts_as_that_user(native: NativeApp) -> None:
    native.users("alice", "bob")
    alice = native.as_user("alice")
    chat = alice.create_chat(name="alice's", members=["bob"])
    assert chat["owner"] == "alice"
    assert {m["user_id"]: m["role"] for m in chat["members"]} == {
        "alice": "owner",
        "bob": "member",
    }
    message = expect(alice.send_request(chat["id"], "hi"), 201)
    assert message["sender"] == "alice"
    created = alice.pin(chat["id"], message["id"])
    assert created["pin"]["pinned_by"] == "alice"
    [row] = native.api.history(chat["id"])
    assert row["actor"] == "alice"


def test_user_token_cannot_send_as_someone_else(native: NativeApp) -> None:
    native.users("alice", "bob")
    chat_id = native.api.create_chat(owner="alice", members=["bob"])["id"]
    reply = native.as_user("bob").send_request(chat_id, "from alice?", sender="alice")
    # `sender` is for the api key only: a user token either is refused or sends as itself.
    if reply.status_code == 201:
        assert reply.json()["sender"] == "bob"
    else:
        assert reply.status_code in (400, 403), reply.text
        expect_error(reply, reply.status_code)


def test_user_token_cannot_create_users(native: NativeApp) -> None:
    native.users("alice")
    reply = native.as_user("alice").create_user_request("mallory")
    expect_error(reply, 403, "platform_only")
    expect_error(native.api.get_user_request("mallory"), 404, "not_found")


def test_api_key_must_name_the_owner(native: NativeApp) -> None:
    native.users("alice")
    expect_error(native.api.create_chat_request(id="ch_ownerless", name="x"), 400)
    expect_error(native.api.get_chat_request("ch_ownerless"), 404, "not_found")


def test_non_member_is_refused_403_not_chat_member(group: Group) -> None:
    message_id = group.send()[0]
    olga = group.as_user("olga")
    expect_error(olga.get_chat_request(group.chat_id), 403, "not_chat_member")
    # Sending is refused too; the contract names no code for it.
    expect_error(olga.send_request(group.chat_id, "let me in"), 403)
    expect_error(olga.pin_request(group.chat_id, message_id), 403)
    assert group.api.pins(group.chat_id) == {"version": 0, "pins": []}

"""Chats, members and managers (feishu.md §6.1-§6.6) as far as pinning depends on them."""

import json
import re
import secrets

from lark_oapi.api.im.v1 import (
    GetChatMembersRequest,
    IsInChatChatMembersRequest,
    UpdateChatRequest,
    UpdateChatRequestBody,
)


def _is_in_chat(feishu, chat_id, as_user=None):
    request = IsInChatChatMembersRequest.builder().chat_id(chat_id).build()
    data = feishu.expect_ok(
        feishu.client.im.v1.chat_members.is_in_chat(request, feishu.option(as_user))
    )
    return data.is_in_chat


def _member_open_ids(feishu, chat_id):
    request = (
        GetChatMembersRequest.builder()
        .chat_id(chat_id)
        .member_id_type("open_id")
        .page_size(100)
        .build()
    )
    data = feishu.expect_ok(feishu.client.im.v1.chat_members.get(request))
    return {m.member_id for m in data.items or []}


def _update_chat(feishu, chat_id, as_user=None, **fields):
    body = UpdateChatRequestBody.builder()
    for name, value in fields.items():
        body = getattr(body, name)(value)
    request = (
        UpdateChatRequest.builder()
        .chat_id(chat_id)
        .user_id_type("open_id")
        .request_body(body.build())
        .build()
    )
    return feishu.client.im.v1.chat.update(request, feishu.option(as_user))


def test_bot_created_chat_is_owned_by_bot(feishu):
    resp = feishu.create_chat_request(name="bot chat")
    data = feishu.expect_ok(resp)
    assert re.fullmatch(r"oc_[0-9a-f]{32}", data.chat_id)
    assert data.name == "bot chat"
    assert data.pin_manage_setting == "all_members"
    raw = json.loads(resp.raw.content)["data"]
    assert "owner_id" not in raw and "owner_id_type" not in raw

    got = feishu.expect_ok(feishu.get_chat(data.chat_id))
    assert got.chat_status == "normal"
    assert got.pin_manage_setting == "all_members"
    assert got.owner_id is None
    assert got.bot_count == "1"
    assert isinstance(got.user_count, str)


def test_chat_with_owner_id_makes_user_owner_and_bot_member(feishu):
    feishu.add_users("alice", "bob")
    data = feishu.expect_ok(feishu.create_chat_request(owner="alice", members=["bob"]))
    assert data.owner_id == feishu.open_id("alice")
    assert data.owner_id_type == "open_id"
    assert _is_in_chat(feishu, data.chat_id, as_user="alice") is True
    assert _is_in_chat(feishu, data.chat_id, as_user="bob") is True
    assert _is_in_chat(feishu, data.chat_id) is True  # the bot
    got = feishu.expect_ok(feishu.get_chat(data.chat_id))
    assert got.owner_id == feishu.open_id("alice")
    assert not got.bot_manager_id_list
    assert got.user_count == "2"


def test_owner_is_member_without_being_listed(feishu):
    feishu.add_user("alice")
    chat_id = feishu.create_chat(owner="alice", list_owner=False)
    assert _member_open_ids(feishu, chat_id) == {feishu.open_id("alice")}


def test_set_bot_manager_makes_bot_a_manager(feishu):
    feishu.add_user("alice")
    chat_id = feishu.create_chat(owner="alice", set_bot_manager=True)
    got = feishu.expect_ok(feishu.get_chat(chat_id))
    assert got.bot_manager_id_list == [feishu.app_id]


def test_pin_manage_setting_round_trip(feishu):
    chat_id = feishu.create_chat(pin_manage_setting="only_owner")
    assert feishu.expect_ok(feishu.get_chat(chat_id)).pin_manage_setting == "only_owner"
    feishu.expect_ok(_update_chat(feishu, chat_id, pin_manage_setting="all_members"))
    got = feishu.expect_ok(feishu.get_chat(chat_id))
    assert got.pin_manage_setting == "all_members"
    assert got.name == "e2e chat"  # absent fields unchanged


def test_add_and_remove_members(feishu):
    feishu.add_users("alice", "bob")
    chat_id = feishu.create_chat(members=["alice"])
    added = feishu.expect_ok(feishu.add_members(chat_id, ["bob"]))
    assert added.invalid_id_list == [] or added.invalid_id_list is None
    members = _member_open_ids(feishu, chat_id)
    assert members == {feishu.open_id("alice"), feishu.open_id("bob")}  # bots are not listed

    removed = feishu.remove_members(chat_id, [feishu.open_id("bob")])
    feishu.expect_ok(removed)
    assert _member_open_ids(feishu, chat_id) == {feishu.open_id("alice")}


def test_chat_uuid_creates_at_most_one_chat(feishu):
    feishu.add_user("alice")
    uuid = secrets.token_hex(8)
    first = feishu.create_chat(owner="alice", uuid=uuid)
    second = feishu.create_chat(owner="alice", uuid=uuid)
    assert first == second
    assert feishu.create_chat(owner="alice", uuid=secrets.token_hex(8)) != first


def test_bot_owner_dissolves_chat(feishu):
    chat_id, message_id = feishu.chat_with_message()
    feishu.expect_ok(feishu.dissolve(chat_id))
    feishu.expect_error(feishu.dissolve(chat_id), 232009)
    feishu.expect_error(feishu.send_request(chat_id, "text", json.dumps({"text": "late"})), 232009)
    feishu.expect_error(feishu.pin(message_id), 232009)


def test_owner_user_dissolves_chat(feishu):
    feishu.add_user("alice")
    chat_id = feishu.create_chat(owner="alice")
    feishu.expect_ok(feishu.dissolve(chat_id, as_user="alice"))
    feishu.expect_error(feishu.dissolve(chat_id), 232009)


def test_plain_member_cannot_dissolve_chat(feishu):
    feishu.add_users("alice", "bob")
    chat_id, message_id = feishu.chat_with_message(owner="alice", members=["bob"])
    feishu.expect_error(feishu.dissolve(chat_id, as_user="bob"), 232017)
    assert feishu.pin_ok(message_id).message_id == message_id
    assert feishu.expect_ok(feishu.get_chat(chat_id)).chat_status == "normal"


def test_only_owner_adds_managers(feishu):
    feishu.add_users("alice", "bob", "carol")
    chat_id = feishu.create_chat(owner="alice", members=["bob", "carol"])
    feishu.expect_error(feishu.add_managers(chat_id, ["carol"], as_user="bob"), 232038)
    data = feishu.expect_ok(feishu.add_managers(chat_id, ["carol"], as_user="alice"))
    assert data.chat_managers == [feishu.open_id("carol")]
    got = feishu.expect_ok(feishu.get_chat(chat_id))
    assert got.user_manager_id_list == [feishu.open_id("carol")]


def test_owner_removes_bot_from_chat(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(owner="alice")
    feishu.expect_ok(feishu.remove_bot(chat_id, as_user="alice"))
    feishu.expect_error(feishu.send_request(chat_id, "text", json.dumps({"text": "x"})), 230002)
    feishu.expect_error(feishu.pin(message_id), 230002)

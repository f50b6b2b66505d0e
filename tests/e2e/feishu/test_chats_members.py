"""Chats, members and managers (feishu.md §6.1-§6.6) as far as pinning depends on them."""

import json
import re
import secrets

import lark_oapi as lark
import pytest
from lark_oapi.api.im.v1 import (
    CreateChatMembersRequest,
    CreateChatMembersRequestBody,
    CreateChatRequest,
    CreateChatRequestBody,
    DeleteChatRequest,
    DeleteMessageRequest,
    GetChatMembersRequest,
    GetChatRequest,
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


def test_invalid_pin_manage_setting_answers_232001(feishu):
    resp = feishu.create_chat_request(pin_manage_setting="everyone")
    feishu.expect_error(resp, 232001)


def test_bot_added_back_can_pin_again(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(owner="alice")
    feishu.expect_ok(feishu.remove_bot(chat_id, as_user="alice"))
    feishu.expect_error(feishu.pin(message_id), 230002)
    request = (
        CreateChatMembersRequest.builder()
        .chat_id(chat_id)
        .member_id_type("app_id")
        .request_body(CreateChatMembersRequestBody.builder().id_list([feishu.app_id]).build())
        .build()
    )
    feishu.expect_ok(feishu.client.im.v1.chat_members.create(request, feishu.option("alice")))
    assert feishu.pin_ok(message_id).operator_id == feishu.app_id


def test_other_app_cannot_see_or_change_chat(feishu_factory):
    home, other = feishu_factory(), feishu_factory()
    home.add_user("alice")
    other.add_user("alice")
    chat_id, message_id = home.chat_with_message(members=["alice"])
    foreign = lark.RequestOption.builder().tenant_access_token(other.tenant_token()).build()

    got = home.client.im.v1.chat.get(GetChatRequest.builder().chat_id(chat_id).build(), foreign)
    home.expect_error(got, 232006)
    dissolve = home.client.im.v1.chat.delete(
        DeleteChatRequest.builder().chat_id(chat_id).build(), foreign
    )
    home.expect_error(dissolve, 232006)
    recall = home.client.im.v1.message.delete(
        DeleteMessageRequest.builder().message_id(message_id).build(), foreign
    )
    assert recall.code != 0 and recall.raw.status_code == 400, recall.msg
    other_alice = [other.open_id("alice")]
    add = home.client.im.v1.chat_members.create(
        CreateChatMembersRequest.builder()
        .chat_id(chat_id)
        .member_id_type("open_id")
        .request_body(CreateChatMembersRequestBody.builder().id_list(other_alice).build())
        .build(),
        foreign,
    )
    assert add.code != 0 and add.raw.status_code == 400, add.msg

    assert home.expect_ok(home.get_chat(chat_id)).chat_status == "normal"
    assert _member_open_ids(home, chat_id) == {home.open_id("alice")}
    assert home.pin_ok(message_id).message_id == message_id  # the message was not recalled


def test_user_id_types_name_the_same_user(feishu):
    alice = feishu.add_user("alice")
    feishu.add_user("bob")
    request = (
        CreateChatRequest.builder()
        .user_id_type("user_id")
        .request_body(
            CreateChatRequestBody.builder()
            .name("ids")
            .owner_id("alice")
            .user_id_list(["bob"])
            .build()
        )
        .build()
    )
    data = feishu.expect_ok(feishu.client.im.v1.chat.create(request))
    assert (data.owner_id, data.owner_id_type) == ("alice", "user_id")
    by_union = GetChatRequest.builder().chat_id(data.chat_id).user_id_type("union_id").build()
    got = feishu.expect_ok(feishu.client.im.v1.chat.get(by_union))
    assert got.owner_id == alice["feishu"]["union_id"]
    members = _member_open_ids(feishu, data.chat_id)
    assert members == {feishu.open_id("alice"), feishu.open_id("bob")}


def test_unnamed_private_chat_is_named_no_topic(feishu):
    body = CreateChatRequestBody.builder().build()
    request = CreateChatRequest.builder().request_body(body).build()
    data = feishu.expect_ok(feishu.client.im.v1.chat.create(request))
    assert data.name == "(无主题)"


@pytest.mark.parametrize(("name", "code"), [("a", 232020), ("", 232042)], ids=["short", "empty"])
def test_public_chat_name_rules(feishu, name, code):
    body = CreateChatRequestBody.builder().name(name).chat_type("public").build()
    resp = feishu.client.im.v1.chat.create(CreateChatRequest.builder().request_body(body).build())
    feishu.expect_error(resp, code)


def test_bot_disabled_cannot_create_chat(feishu):
    feishu.patch_app(bot_enabled=False)
    feishu.expect_error(feishu.create_chat_request(), 232025)


def test_mismatched_member_permissions_answer_232001(feishu):
    chat_id = feishu.create_chat()
    resp = _update_chat(
        feishu, chat_id, add_member_permission="only_owner", share_card_permission="allowed"
    )
    feishu.expect_error(resp, 232001)


def test_plain_member_cannot_change_pin_setting(feishu):
    feishu.add_users("alice", "bob")
    chat_id = feishu.create_chat(owner="alice", members=["bob"])
    resp = _update_chat(feishu, chat_id, as_user="bob", pin_manage_setting="only_owner")
    feishu.expect_error(resp, 232016)
    assert feishu.expect_ok(feishu.get_chat(chat_id)).pin_manage_setting == "all_members"
    by_owner = _update_chat(feishu, chat_id, as_user="alice", pin_manage_setting="only_owner")
    feishu.expect_ok(by_owner)
    assert feishu.expect_ok(feishu.get_chat(chat_id)).pin_manage_setting == "only_owner"


def test_member_leaves_chat(feishu):
    feishu.add_users("alice", "bob")
    chat_id, message_id = feishu.chat_with_message(owner="alice", members=["bob"])
    feishu.expect_ok(feishu.remove_members(chat_id, [feishu.open_id("bob")], as_user="bob"))
    assert _member_open_ids(feishu, chat_id) == {feishu.open_id("alice")}
    feishu.expect_error(feishu.pin(message_id, as_user="bob"), 230050)


def test_plain_member_cannot_remove_others(feishu):
    feishu.add_users("alice", "bob", "carol")
    chat_id = feishu.create_chat(owner="alice", members=["bob", "carol"])
    resp = feishu.remove_members(chat_id, [feishu.open_id("carol")], as_user="bob")
    feishu.expect_error(resp, 232014)
    assert feishu.open_id("carol") in _member_open_ids(feishu, chat_id)


def test_owner_cannot_be_removed(feishu):
    feishu.add_users("alice", "bob")
    chat_id = feishu.create_chat(owner="alice", members=["bob"])
    feishu.expect_error(feishu.remove_members(chat_id, [feishu.open_id("alice")]), 232076)
    assert feishu.open_id("alice") in _member_open_ids(feishu, chat_id)


def test_manager_cap_answers_232040(feishu):
    users = [f"user{i}" for i in range(11)]
    feishu.add_users("alice", *users)
    chat_id = feishu.create_chat(owner="alice", members=users)
    feishu.expect_error(feishu.add_managers(chat_id, users, as_user="alice"), 232040)
    assert not feishu.expect_ok(feishu.get_chat(chat_id)).user_manager_id_list
    data = feishu.expect_ok(feishu.add_managers(chat_id, users[:10], as_user="alice"))
    assert sorted(data.chat_managers) == sorted(feishu.open_id(u) for u in users[:10])

"""Pin and unpin: successful paths and the pin permission model (feishu.md §6.10, §6.11)."""

import json
import time

from lark_oapi.api.im.v1 import (
    AddManagersChatManagersRequest,
    AddManagersChatManagersRequestBody,
    UpdateChatRequest,
    UpdateChatRequestBody,
)


def _pin_tuple(pin):
    return (pin.message_id, pin.chat_id, pin.operator_id, pin.operator_id_type, pin.create_time)


def test_bot_pins_message(feishu):
    chat_id, message_id = feishu.chat_with_message()
    before = int(time.time() * 1000)
    resp = feishu.pin(message_id)
    pin = feishu.expect_ok(resp).pin
    assert pin.message_id == message_id
    assert pin.chat_id == chat_id
    assert pin.operator_id == feishu.app_id
    assert pin.operator_id_type == "app_id"
    raw = json.loads(resp.raw.content)
    assert raw["msg"] == "success"
    assert isinstance(raw["data"]["pin"]["create_time"], str)
    assert before - 5000 <= int(pin.create_time) <= int(time.time() * 1000) + 5000
    listed = feishu.all_pins(chat_id)
    assert [_pin_tuple(p) for p in listed] == [_pin_tuple(pin)]


def test_user_pin_is_listed_with_open_id(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(members=["alice"])
    pin = feishu.pin_ok(message_id, as_user="alice")
    [listed] = feishu.all_pins(chat_id, as_user="alice")
    assert _pin_tuple(listed) == _pin_tuple(pin)
    assert listed.operator_id == feishu.open_id("alice")
    assert listed.operator_id_type == "open_id"


def test_bot_pins_message_sent_by_user(feishu):
    feishu.add_user("alice")
    chat_id = feishu.create_chat(members=["alice"])
    message_id = feishu.send_text(chat_id, "from alice", as_user="alice")
    pin = feishu.pin_ok(message_id)
    assert pin.operator_id == feishu.app_id
    assert feishu.pinned_ids(chat_id) == [message_id]


def test_repin_returns_existing_pin(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(members=["alice"])
    first = feishu.pin_ok(message_id)
    time.sleep(0.05)
    again_by_bot = feishu.pin_ok(message_id)
    again_by_alice = feishu.pin_ok(message_id, as_user="alice")
    assert _pin_tuple(again_by_bot) == _pin_tuple(first)
    assert _pin_tuple(again_by_alice) == _pin_tuple(first)
    assert [_pin_tuple(p) for p in feishu.all_pins(chat_id)] == [_pin_tuple(first)]


def test_unpin_removes_pin(feishu):
    chat_id, message_id = feishu.chat_with_message()
    feishu.pin_ok(message_id)
    resp = feishu.unpin(message_id)
    feishu.expect_ok(resp)
    assert json.loads(resp.raw.content)["data"] == {}
    assert feishu.pinned_ids(chat_id) == []


def test_unpin_of_unpinned_message_succeeds(feishu):
    chat_id, message_id = feishu.chat_with_message()
    feishu.expect_ok(feishu.unpin(message_id))
    assert feishu.pinned_ids(chat_id) == []


def test_member_unpins_bot_pin(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(members=["alice"])
    feishu.pin_ok(message_id)
    feishu.expect_ok(feishu.unpin(message_id, as_user="alice"))
    assert feishu.pinned_ids(chat_id) == []


def test_pin_after_unpin_creates_new_pin(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(members=["alice"])
    first = feishu.pin_ok(message_id)
    feishu.expect_ok(feishu.unpin(message_id))
    time.sleep(0.01)
    second = feishu.pin_ok(message_id, as_user="alice")
    assert second.operator_id == feishu.open_id("alice")
    assert int(second.create_time) >= int(first.create_time)
    assert [_pin_tuple(p) for p in feishu.all_pins(chat_id)] == [_pin_tuple(second)]


def test_unpin_one_of_several_pins(feishu):
    chat_id = feishu.create_chat()
    first, second = feishu.send_texts(chat_id, 2)
    feishu.pin_ok(first)
    feishu.pin_ok(second)
    feishu.expect_ok(feishu.unpin(first))
    assert feishu.pinned_ids(chat_id) == [second]


def test_recall_removes_pin(feishu):
    chat_id = feishu.create_chat()
    kept, recalled = feishu.send_texts(chat_id, 2)
    feishu.pin_ok(kept)
    feishu.pin_ok(recalled)
    feishu.expect_ok(feishu.recall(recalled))
    assert feishu.pinned_ids(chat_id) == [kept]
    feishu.expect_error(feishu.pin(recalled), 230011)
    feishu.expect_ok(feishu.unpin(recalled))  # unpinning a recalled message still succeeds
    assert feishu.pinned_ids(chat_id) == [kept]


def test_pin_in_p2p_chat(feishu):
    feishu.add_user("alice")
    content = json.dumps({"text": "direct"})
    sent = feishu.expect_ok(
        feishu.send_request(feishu.open_id("alice"), "text", content, receive_id_type="open_id")
    )
    pin = feishu.pin_ok(sent.message_id)
    assert pin.chat_id == sent.chat_id
    assert feishu.pinned_ids(sent.chat_id) == [sent.message_id]


# ---- pin_manage_setting


def test_only_owner_rejects_plain_member(feishu):
    feishu.add_users("alice", "bob")
    chat_id, message_id = feishu.chat_with_message(
        owner="alice", members=["bob"], pin_manage_setting="only_owner"
    )
    feishu.expect_error(feishu.pin(message_id, as_user="bob"), 230046)
    assert feishu.pinned_ids(chat_id, as_user="alice") == []

    pin = feishu.pin_ok(message_id, as_user="alice")
    assert pin.operator_id == feishu.open_id("alice")
    feishu.expect_error(feishu.unpin(message_id, as_user="bob"), 230046)
    assert feishu.pinned_ids(chat_id, as_user="alice") == [message_id]
    feishu.expect_ok(feishu.unpin(message_id, as_user="alice"))
    assert feishu.pinned_ids(chat_id, as_user="alice") == []


def test_only_owner_allows_user_manager(feishu):
    feishu.add_users("alice", "carol")
    chat_id, message_id = feishu.chat_with_message(
        owner="alice", members=["carol"], pin_manage_setting="only_owner"
    )
    feishu.expect_error(feishu.pin(message_id, as_user="carol"), 230046)
    feishu.expect_ok(feishu.add_managers(chat_id, ["carol"], as_user="alice"))
    pin = feishu.pin_ok(message_id, as_user="carol")
    assert pin.operator_id == feishu.open_id("carol")


def test_only_owner_rejects_bot_that_is_plain_member(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(owner="alice", pin_manage_setting="only_owner")
    feishu.expect_error(feishu.pin(message_id), 230046)
    assert feishu.pinned_ids(chat_id) == []


def test_only_owner_allows_bot_manager(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(
        owner="alice", set_bot_manager=True, pin_manage_setting="only_owner"
    )
    assert feishu.pin_ok(message_id).operator_id == feishu.app_id
    assert feishu.pinned_ids(chat_id) == [message_id]


def test_only_owner_allows_bot_made_manager_later(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(owner="alice", pin_manage_setting="only_owner")
    feishu.expect_error(feishu.pin(message_id), 230046)
    request = (
        AddManagersChatManagersRequest.builder()
        .chat_id(chat_id)
        .member_id_type("app_id")
        .request_body(
            AddManagersChatManagersRequestBody.builder().manager_ids([feishu.app_id]).build()
        )
        .build()
    )
    added = feishu.client.im.v1.chat_managers.add_managers(request, feishu.option("alice"))
    data = feishu.expect_ok(added)
    assert data.chat_bot_managers == [feishu.app_id]
    assert feishu.pin_ok(message_id).operator_id == feishu.app_id


def test_only_owner_in_bot_owned_chat(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(
        members=["alice"], pin_manage_setting="only_owner"
    )
    feishu.expect_error(feishu.pin(message_id, as_user="alice"), 230046)
    assert feishu.pin_ok(message_id).operator_id == feishu.app_id
    assert feishu.pinned_ids(chat_id) == [message_id]


def test_switching_to_only_owner_guards_existing_pins(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(members=["alice"])
    feishu.pin_ok(message_id, as_user="alice")
    request = (
        UpdateChatRequest.builder()
        .chat_id(chat_id)
        .request_body(UpdateChatRequestBody.builder().pin_manage_setting("only_owner").build())
        .build()
    )
    feishu.expect_ok(feishu.client.im.v1.chat.update(request))
    feishu.expect_error(feishu.unpin(message_id, as_user="alice"), 230046)
    assert feishu.pinned_ids(chat_id) == [message_id]

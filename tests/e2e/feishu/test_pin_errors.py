"""Pin/unpin error codes (feishu.md §6.10 table, §6.11) and that failures change nothing."""

import json
import secrets
import time

import lark_oapi as lark
import pytest
from lark_oapi.api.im.v1 import DeletePinRequest

SYSTEM_CONTENT = json.dumps(
    {
        "type": "divider",
        "params": {"divider_text": {"text": "New session", "i18n_text": {"en_US": "New session"}}},
        "options": {"need_rollup": True},
    }
)


def _p2p_message(feishu, user_id, msg_type="text", content=None):
    return feishu.send_request(
        feishu.open_id(user_id),
        msg_type,
        content or json.dumps({"text": "direct"}),
        receive_id_type="open_id",
    )


@pytest.mark.parametrize(
    "message_id",
    [None, "", "hello", "om_" + "z" * 32, "om_" + secrets.token_hex(16)],
    ids=["missing", "empty", "ill-formed", "bad-hex", "unknown"],
)
def test_pin_invalid_or_unknown_message_answers_230001(feishu, message_id):
    chat_id = feishu.create_chat()
    feishu.expect_error(feishu.pin(message_id), 230001)
    assert feishu.pinned_ids(chat_id) == []


def test_unpin_unknown_message_answers_230001(feishu):
    feishu.create_chat()
    feishu.expect_error(feishu.unpin("om_" + secrets.token_hex(16)), 230001)


def test_user_not_in_chat_answers_230050(feishu):
    feishu.add_users("alice", "mallory")
    chat_id, message_id = feishu.chat_with_message(members=["alice"])
    feishu.expect_error(feishu.pin(message_id, as_user="mallory"), 230050)
    assert feishu.pinned_ids(chat_id) == []
    feishu.pin_ok(message_id)
    feishu.expect_error(feishu.unpin(message_id, as_user="mallory"), 230050)
    assert feishu.pinned_ids(chat_id) == [message_id]


def test_removed_member_answers_230050(feishu):
    feishu.add_users("alice", "bob")
    chat_id, message_id = feishu.chat_with_message(members=["alice", "bob"])
    feishu.expect_ok(feishu.remove_members(chat_id, [feishu.open_id("bob")]))
    feishu.expect_error(feishu.pin(message_id, as_user="bob"), 230050)
    assert feishu.pinned_ids(chat_id) == []


def test_message_invisible_to_operator_answers_230050(feishu):
    feishu.add_users("alice", "bob")
    chat_id, message_id = feishu.chat_with_message(members=["alice", "bob"])
    feishu.patch_message(message_id, visible_to=["alice"])
    feishu.expect_error(feishu.pin(message_id, as_user="bob"), 230050)
    assert feishu.pinned_ids(chat_id) == []
    assert feishu.pin_ok(message_id, as_user="alice").operator_id == feishu.open_id("alice")
    feishu.expect_error(feishu.unpin(message_id, as_user="bob"), 230050)
    assert feishu.pinned_ids(chat_id) == [message_id]


def test_bot_sees_restricted_message(feishu):
    feishu.add_users("alice", "bob")
    chat_id, message_id = feishu.chat_with_message(members=["alice", "bob"])
    feishu.patch_message(message_id, visible_to=["alice"])
    assert feishu.pin_ok(message_id).operator_id == feishu.app_id


def test_bot_removed_from_chat_answers_230002(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(owner="alice")
    pinned = feishu.send_text(chat_id, "pinned before")
    feishu.pin_ok(pinned)
    feishu.expect_ok(feishu.remove_bot(chat_id, as_user="alice"))
    feishu.expect_error(feishu.pin(message_id), 230002)
    feishu.expect_error(
        feishu.pin(message_id, as_user="alice"), 230002
    )  # user tokens need the bot too
    feishu.expect_error(feishu.unpin(pinned), 230002)
    feishu.expect_error(feishu.list_pins(chat_id), 230002)
    feishu.expect_error(feishu.list_pins(chat_id, as_user="alice"), 230002)


def test_bot_disabled_answers_230006(feishu):
    chat_id = feishu.create_chat()
    pinned, other = feishu.send_texts(chat_id, 2)
    feishu.pin_ok(pinned)
    feishu.patch_app(bot_enabled=False)
    feishu.expect_error(feishu.pin(other), 230006)
    feishu.expect_error(feishu.unpin(pinned), 230006)
    feishu.expect_error(feishu.list_pins(chat_id), 230006)
    feishu.expect_error(feishu.send_request(chat_id, "text", json.dumps({"text": "x"})), 230006)
    feishu.patch_app(bot_enabled=True)
    assert feishu.pinned_ids(chat_id) == [pinned]


def test_pin_scope_not_granted_answers_230027(feishu):
    chat_id = feishu.create_chat()
    pinned, other = feishu.send_texts(chat_id, 2)
    feishu.pin_ok(pinned)
    feishu.patch_app(pin_scope_granted=False)
    feishu.expect_error(feishu.pin(other), 230027)
    feishu.expect_error(feishu.unpin(pinned), 230027)
    feishu.patch_app(pin_scope_granted=True)
    assert feishu.pinned_ids(chat_id) == [pinned]


def test_self_destructing_message_answers_230111(feishu):
    chat_id, message_id = feishu.chat_with_message()
    feishu.patch_message(message_id, self_destruct_at_ms=int(time.time() * 1000) + 3_600_000)
    feishu.expect_error(feishu.pin(message_id), 230111)
    assert feishu.pinned_ids(chat_id) == []


def test_recalled_message_answers_230011(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(members=["alice"])
    feishu.expect_ok(feishu.recall(message_id))
    feishu.expect_error(feishu.pin(message_id), 230011)
    feishu.expect_error(feishu.pin(message_id, as_user="alice"), 230011)
    assert feishu.pinned_ids(chat_id) == []


def test_dissolved_chat_answers_232009(feishu):
    chat_id = feishu.create_chat()
    pinned, other = feishu.send_texts(chat_id, 2)
    feishu.pin_ok(pinned)
    feishu.expect_ok(feishu.dissolve(chat_id))
    feishu.expect_error(feishu.pin(other), 232009)
    feishu.expect_error(feishu.pin(pinned), 232009)
    feishu.expect_error(feishu.unpin(pinned), 232009)
    feishu.expect_error(feishu.list_pins(chat_id), 232009)


def test_unavailable_p2p_user_answers_230013(feishu):
    feishu.add_user("alice")
    sent = feishu.expect_ok(_p2p_message(feishu, "alice"))
    pinned = feishu.expect_ok(_p2p_message(feishu, "alice"))
    feishu.pin_ok(pinned.message_id)
    feishu.patch_app(unavailable_user_ids=["alice"])
    feishu.expect_error(feishu.pin(sent.message_id), 230013)
    feishu.expect_error(feishu.unpin(pinned.message_id), 230013)
    feishu.patch_app(unavailable_user_ids=[])
    assert feishu.pinned_ids(sent.chat_id) == [pinned.message_id]


def test_unavailable_user_does_not_block_group_chats(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(members=["alice"])
    feishu.patch_app(unavailable_user_ids=["alice"])
    feishu.pin_ok(message_id)
    assert feishu.pinned_ids(chat_id) == [message_id]


def test_system_message_answers_230054(feishu):
    feishu.add_user("alice")
    resp = _p2p_message(feishu, "alice", msg_type="system", content=SYSTEM_CONTENT)
    if resp.code != 0:
        pytest.skip(f"server cannot send a p2p system message (code {resp.code}: {resp.msg})")
    message_id, chat_id = resp.data.message_id, resp.data.chat_id
    feishu.expect_error(feishu.pin(message_id), 230054)
    feishu.expect_error(feishu.recall(message_id), 230054)
    assert feishu.pinned_ids(chat_id) == []


def test_pin_unpin_more_than_five_per_second_answers_230047(feishu):
    chat_id, message_id = feishu.chat_with_message()
    started = time.monotonic()
    for call in (feishu.pin, feishu.unpin, feishu.pin, feishu.unpin, feishu.pin):
        feishu.expect_ok(call(message_id))
    sixth = feishu.unpin(message_id)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"six calls took {elapsed:.2f} s; the per-second window cannot be tested"
    feishu.expect_error(sixth, 230047)
    assert feishu.pinned_ids(chat_id) == [message_id]  # the rejected unpin changed nothing
    time.sleep(1.1)
    feishu.expect_ok(feishu.unpin(message_id))
    assert feishu.pinned_ids(chat_id) == []


def test_repins_count_toward_message_limit(feishu):
    chat_id, message_id = feishu.chat_with_message()
    first = feishu.pin_ok(message_id)
    started = time.monotonic()
    for _ in range(4):
        assert feishu.pin_ok(message_id).create_time == first.create_time
    sixth = feishu.pin(message_id)
    assert time.monotonic() - started < 1.0
    feishu.expect_error(sixth, 230047)
    assert feishu.pinned_ids(chat_id) == [message_id]


def test_message_limit_is_per_message(feishu):
    chat_id = feishu.create_chat()
    busy, calm = feishu.send_texts(chat_id, 2)
    for _ in range(5):
        feishu.pin_ok(busy)
    feishu.expect_error(feishu.pin(busy), 230047)
    feishu.pin_ok(calm)
    assert sorted(feishu.pinned_ids(chat_id)) == sorted([busy, calm])


def test_other_apps_tenant_token_cannot_touch_pins(feishu_factory):
    home, other = feishu_factory(), feishu_factory()
    chat_id = home.create_chat()
    pinned, unpinned = home.send_texts(chat_id, 2)
    original = home.pin_ok(pinned)
    foreign = lark.RequestOption.builder().tenant_access_token(other.tenant_token()).build()

    home.expect_error(home.client.im.v1.pin.create(home._pin_request(unpinned), foreign), 230001)
    delete = home.client.im.v1.pin.delete(
        DeletePinRequest.builder().message_id(pinned).build(), foreign
    )
    home.expect_error(delete, 230001)
    listed = home.client.im.v1.pin.list(home._list_request(chat_id), foreign)
    home.expect_error(listed, 230001)
    [kept] = home.all_pins(chat_id)
    assert (kept.message_id, kept.operator_id, kept.create_time) == (
        pinned,
        home.app_id,
        original.create_time,
    )


# ---- order of checks (feishu.md §6.10, chosen)


def test_bot_membership_checked_before_recall(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(owner="alice")
    feishu.expect_ok(feishu.recall(message_id))
    feishu.expect_ok(feishu.remove_bot(chat_id, as_user="alice"))
    feishu.expect_error(feishu.pin(message_id), 230002)


def test_recall_checked_before_self_destruct(feishu):
    _, message_id = feishu.chat_with_message()
    feishu.patch_message(message_id, self_destruct_at_ms=int(time.time() * 1000) + 3_600_000)
    feishu.expect_ok(feishu.recall(message_id))
    feishu.expect_error(feishu.pin(message_id), 230011)


def test_visibility_checked_before_permission(feishu):
    feishu.add_users("alice", "bob")
    _, message_id = feishu.chat_with_message(
        owner="alice", members=["bob"], pin_manage_setting="only_owner"
    )
    feishu.patch_message(message_id, visible_to=["alice"])
    feishu.expect_error(feishu.pin(message_id, as_user="bob"), 230050)


def test_dissolution_checked_before_bot_membership(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(owner="alice")
    feishu.expect_ok(feishu.remove_bot(chat_id, as_user="alice"))
    feishu.expect_ok(feishu.dissolve(chat_id, as_user="alice"))
    feishu.expect_error(feishu.pin(message_id, as_user="alice"), 232009)

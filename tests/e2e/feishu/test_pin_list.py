"""List pins: order, paging, time window and parameter errors (feishu.md §6.12)."""

import json
import secrets
import time

import pytest


def _pin_all(feishu, message_ids, gap_s=0.005):
    """Pin in the given order, a few ms apart so create_time strictly grows."""
    pins = []
    for message_id in message_ids:
        pins.append(feishu.pin_ok(message_id))
        time.sleep(gap_s)
    return pins


def test_empty_chat_lists_nothing(feishu):
    chat_id = feishu.create_chat()
    resp = feishu.list_pins(chat_id)
    data = feishu.expect_ok(resp)
    assert data.items == []
    assert data.has_more is False
    assert "page_token" not in json.loads(resp.raw.content)["data"]


def test_pins_listed_newest_first(feishu):
    chat_id = feishu.create_chat()
    messages = feishu.send_texts(chat_id, 3)
    pins = _pin_all(feishu, messages)
    data = feishu.expect_ok(feishu.list_pins(chat_id))
    assert [p.message_id for p in data.items] == messages[::-1]
    assert [p.create_time for p in data.items] == [p.create_time for p in pins[::-1]]
    assert all(p.chat_id == chat_id for p in data.items)


def test_order_follows_pin_time_not_message_time(feishu):
    chat_id = feishu.create_chat()
    old, new = feishu.send_texts(chat_id, 2)
    _pin_all(feishu, [new, old])
    assert feishu.pinned_ids(chat_id) == [old, new]


def test_pages_follow_page_tokens(feishu):
    chat_id = feishu.create_chat()
    messages = feishu.send_texts(chat_id, 5)
    _pin_all(feishu, messages)
    seen, sizes, token = [], [], None
    for _ in range(5):
        resp = feishu.list_pins(chat_id, page_size=2, page_token=token)
        data = feishu.expect_ok(resp)
        raw = json.loads(resp.raw.content)["data"]
        sizes.append(len(data.items))
        seen.extend(p.message_id for p in data.items)
        if not data.has_more:
            assert "page_token" not in raw
            break
        assert isinstance(raw["page_token"], str) and raw["page_token"]
        token = data.page_token
    assert sizes == [2, 2, 1]
    assert seen == messages[::-1]


def test_default_page_size_is_20(feishu):
    chat_id = feishu.create_chat()
    messages = feishu.send_texts(chat_id, 21)
    _pin_all(feishu, messages, gap_s=0.002)
    first = feishu.expect_ok(feishu.list_pins(chat_id))
    assert len(first.items) == 20
    assert first.has_more is True
    rest = feishu.expect_ok(feishu.list_pins(chat_id, page_token=first.page_token))
    assert [p.message_id for p in rest.items] == [messages[0]]
    assert rest.has_more is False
    assert len(feishu.expect_ok(feishu.list_pins(chat_id, page_size=50)).items) == 21


@pytest.mark.parametrize("page_size", [1, 50])
def test_page_size_bounds_accepted(feishu, page_size):
    chat_id = feishu.create_chat()
    messages = feishu.send_texts(chat_id, 2)
    _pin_all(feishu, messages)
    data = feishu.expect_ok(feishu.list_pins(chat_id, page_size=page_size))
    assert [p.message_id for p in data.items] == messages[::-1][:page_size]
    assert data.has_more is (page_size == 1)


@pytest.mark.parametrize("page_size", [0, 51, -1, 1000])
def test_page_size_out_of_range_answers_230001(feishu, page_size):
    chat_id = feishu.create_chat()
    feishu.expect_error(feishu.list_pins(chat_id, page_size=page_size), 230001)


def test_time_window_selects_pins(feishu):
    chat_id = feishu.create_chat()
    messages = feishu.send_texts(chat_id, 3)
    pins = _pin_all(feishu, messages, gap_s=0.03)
    times = [int(p.create_time) for p in pins]
    assert times[0] < times[1] < times[2]

    def window(**query):
        return [p.message_id for p in feishu.expect_ok(feishu.list_pins(chat_id, **query)).items]

    # Bounds chosen strictly between pins, so the test holds for inclusive and exclusive bounds.
    assert window(start_time=str(times[1] - 1), end_time=str(times[2] - 1)) == [messages[1]]
    assert window(start_time=str(times[1] - 1)) == [messages[2], messages[1]]
    assert window(end_time=str(times[1] - 1)) == [messages[0]]
    assert window(start_time=str(times[2] + 60_000)) == []


@pytest.mark.parametrize("length_ms", [0, -1000], ids=["equal", "reversed"])
def test_start_time_must_precede_end_time(feishu, length_ms):
    chat_id, message_id = feishu.chat_with_message()
    start = int(feishu.pin_ok(message_id).create_time) - 500
    resp = feishu.list_pins(chat_id, start_time=str(start), end_time=str(start + length_ms))
    feishu.expect_error(resp, 230001)


@pytest.mark.parametrize("field", ["start_time", "end_time"])
@pytest.mark.parametrize("value", ["yesterday", "1.5", "-"])
def test_non_numeric_time_answers_230001(feishu, field, value):
    chat_id = feishu.create_chat()
    feishu.expect_error(feishu.list_pins(chat_id, **{field: value}), 230001)


@pytest.mark.parametrize("token", ["garbage", secrets.token_urlsafe(24)], ids=["garbage", "random"])
def test_invalid_page_token_answers_230001(feishu, token):
    chat_id, message_id = feishu.chat_with_message()
    feishu.pin_ok(message_id)
    feishu.expect_error(feishu.list_pins(chat_id, page_token=token), 230001)


def test_page_token_of_another_chat_is_not_honoured(feishu):
    first_chat = feishu.create_chat()
    second_chat = feishu.create_chat()
    for chat_id in (first_chat, second_chat):
        _pin_all(feishu, feishu.send_texts(chat_id, 2))
    token = feishu.expect_ok(feishu.list_pins(first_chat, page_size=1)).page_token
    resp = feishu.list_pins(second_chat, page_size=1, page_token=token)
    if resp.code == 0:  # a token may be position-only; it must never list another chat's pins
        assert all(p.chat_id == second_chat for p in resp.data.items)
    else:
        feishu.expect_error(resp, 230001)


def test_missing_chat_id_answers_230001(feishu):
    feishu.create_chat()
    feishu.expect_error(feishu.list_pins(None), 230001)


@pytest.mark.parametrize(
    "chat_id",
    ["", "oc_" + secrets.token_hex(16), "not-a-chat"],
    ids=["empty", "unknown", "ill-formed"],
)
def test_unknown_chat_id_answers_230001(feishu, chat_id):
    feishu.create_chat()
    feishu.expect_error(feishu.list_pins(chat_id), 230001)


def test_list_is_scoped_to_the_chat(feishu):
    first_chat, first_msg = feishu.chat_with_message()
    second_chat, second_msg = feishu.chat_with_message()
    feishu.pin_ok(first_msg)
    assert feishu.pinned_ids(first_chat) == [first_msg]
    assert feishu.pinned_ids(second_chat) == []
    feishu.pin_ok(second_msg)
    assert feishu.pinned_ids(first_chat) == [first_msg]


def test_member_lists_pins_with_user_token(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(members=["alice"])
    pin = feishu.pin_ok(message_id)
    [listed] = feishu.all_pins(chat_id, as_user="alice")
    assert (listed.message_id, listed.operator_id, listed.create_time) == (
        message_id,
        feishu.app_id,
        pin.create_time,
    )

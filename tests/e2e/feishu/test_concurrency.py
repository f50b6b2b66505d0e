"""Concurrent SDK calls (async twins, asyncio.gather) must leave consistent state."""

# Statuses that may legitimately answer a burst: per-message pin limit, app rate limit.
_THROTTLED = {230047: 400, 99991400: 429}


def _pin_tuple(pin):
    return (pin.message_id, pin.chat_id, pin.operator_id, pin.operator_id_type, pin.create_time)


def _assert_ok_or(resp, *codes):
    assert resp.code == 0 or resp.code in codes, (resp.code, resp.msg)
    expected_status = 200 if resp.code == 0 else _THROTTLED.get(resp.code, 400)
    assert resp.raw.status_code == expected_status, (resp.code, resp.raw.status_code)


def test_fifty_concurrent_pins_leave_one_pin(feishu):
    chat_id, message_id = feishu.chat_with_message()
    feishu.tenant_token()  # the SDK fetches tokens synchronously; do it before the burst
    replies = feishu.run_concurrently(*(feishu.apin(message_id) for _ in range(50)))
    for resp in replies:
        _assert_ok_or(resp, *_THROTTLED)
    pins = {_pin_tuple(r.data.pin) for r in replies if r.code == 0}
    assert len(pins) == 1, pins
    [pin] = pins
    assert pin[:4] == (message_id, chat_id, feishu.app_id, "app_id")
    assert [_pin_tuple(p) for p in feishu.all_pins(chat_id)] == [pin]


def test_concurrent_pins_by_different_operators_agree(feishu):
    feishu.add_users("alice", "bob", "carol")
    chat_id, message_id = feishu.chat_with_message(members=["alice", "bob", "carol"])
    feishu.tenant_token()
    for user_id in ("alice", "bob", "carol"):
        feishu.user_token(user_id)  # issue tokens (a blocking admin call) before the burst
    replies = feishu.run_concurrently(
        feishu.apin(message_id),
        feishu.apin(message_id, as_user="alice"),
        feishu.apin(message_id, as_user="bob"),
        feishu.apin(message_id, as_user="carol"),
    )
    pins = {_pin_tuple(feishu.expect_ok(r).pin) for r in replies}
    assert len(pins) == 1, pins
    [pin] = pins
    assert pin[2] in {feishu.app_id} | {feishu.open_id(u) for u in ("alice", "bob", "carol")}
    assert [_pin_tuple(p) for p in feishu.all_pins(chat_id)] == [pin]


def test_concurrent_pins_of_many_messages_are_all_kept(feishu):
    chat_id = feishu.create_chat()
    messages = feishu.send_texts(chat_id, 12)
    feishu.tenant_token()
    replies = feishu.run_concurrently(*(feishu.apin(m) for m in messages))
    for resp in replies:
        feishu.expect_ok(resp)
    listed = feishu.all_pins(chat_id)
    assert sorted(p.message_id for p in listed) == sorted(messages)
    times = [int(p.create_time) for p in listed]
    assert times == sorted(times, reverse=True)


def test_concurrent_pin_and_unpin_leave_consistent_state(feishu):
    chat_id, message_id = feishu.chat_with_message()
    feishu.tenant_token()
    replies = feishu.run_concurrently(
        feishu.apin(message_id),
        feishu.aunpin(message_id),
        feishu.apin(message_id),
        feishu.aunpin(message_id),
    )
    for resp in replies:
        feishu.expect_ok(resp)
    listed = feishu.all_pins(chat_id)
    assert len(listed) <= 1
    if listed:
        pinned = {_pin_tuple(r.data.pin) for r in replies[::2]}  # the two pin replies
        assert _pin_tuple(listed[0]) in pinned


def test_pin_racing_recall_never_leaves_recalled_message_pinned(feishu):
    chats = [feishu.create_chat() for _ in range(3)]
    feishu.tenant_token()
    for _round in range(3):
        messages = [(c, feishu.send_text(c, f"race {_round}")) for c in chats for _ in range(3)]
        coroutines = []
        for _, message_id in messages:
            coroutines += [feishu.apin(message_id), feishu.arecall(message_id)]
        replies = feishu.run_concurrently(*coroutines)
        for pin_reply, recall_reply in zip(replies[::2], replies[1::2], strict=True):
            feishu.expect_ok(recall_reply)
            _assert_ok_or(pin_reply, 230011, *_THROTTLED)
        for chat_id in chats:
            assert feishu.pinned_ids(chat_id) == []
        for _, message_id in messages[:2]:
            feishu.expect_error(feishu.pin(message_id), 230011)


def test_pin_racing_dissolve_ends_dissolved(feishu):
    feishu.tenant_token()
    for _round in range(2):
        chats = [feishu.chat_with_message() for _ in range(8)]
        coroutines = []
        for chat_id, message_id in chats:
            coroutines += [feishu.apin(message_id), feishu.adissolve(chat_id)]
        replies = feishu.run_concurrently(*coroutines)
        for pin_reply, dissolve_reply in zip(replies[::2], replies[1::2], strict=True):
            feishu.expect_ok(dissolve_reply)
            _assert_ok_or(pin_reply, 232009, *_THROTTLED)
        for chat_id, message_id in chats:
            feishu.expect_error(feishu.pin(message_id), 232009)
            feishu.expect_error(feishu.list_pins(chat_id), 232009)


def test_concurrent_lists_during_pins_are_well_formed(feishu):
    chat_id = feishu.create_chat()
    messages = feishu.send_texts(chat_id, 5)
    feishu.tenant_token()
    replies = feishu.run_concurrently(
        *(feishu.apin(m) for m in messages),
        *(feishu.alist_pins(chat_id, page_size=50) for _ in range(5)),
    )
    for resp in replies[:5]:
        feishu.expect_ok(resp)
    for resp in replies[5:]:
        data = feishu.expect_ok(resp)
        ids = [p.message_id for p in data.items]
        assert len(ids) == len(set(ids))
        assert set(ids) <= set(messages)
    assert sorted(feishu.pinned_ids(chat_id)) == sorted(messages)

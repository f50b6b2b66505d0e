"""Scheduled pins (docs/native.md, "Pins": Scheduled pins): a pin with `starts_at_ms` in the
future is invisible to every list and cap until its start; the sweeper then starts it as if
pinned at that moment (the cap and overflow apply then), once, also after a restart.

Start times are wall-clock time, so these tests poll with a deadline: there is no other signal.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.feishu_client import Feishu
from tests.e2e.live_server import Server
from tests.e2e.native.client import (
    Native,
    NativeApp,
    expect,
    expect_bad_request,
    now_ms,
    pin_op,
    policy,
    unpin_op,
    wait_until,
)
from tests.e2e.native.conftest import Group

# How long after its start a scheduled pin must be listed (the sweeper polls twice a second).
LISTED_WITHIN_MS = 2_000
START_IN_MS = 1_200


def _rows(api: Native, chat_id: str, message_id: str) -> list[tuple[str, str, str | None]]:
    return [
        (row["action"], row["reason"], row["actor"])
        for row in api.history(chat_id)
        if row["message_id"] == message_id
    ]


def _scheduled_ids(api: Native, chat_id: str) -> list[str]:
    reply = expect(api.http.get(f"/v1/chats/{chat_id}/pins/scheduled"), 200)
    return [p["message_id"] for p in reply["pins"]]


def _wait_for_history(api: Native, chat_id: str, message_id: str, action: str) -> None:
    wait_until(
        lambda: any(a == action for a, _r, _w in _rows(api, chat_id, message_id)),
        now_ms() + 15_000,
        f"history {action!r} of {message_id}",
    )


def test_a_scheduled_pin_is_listed_from_its_start_on_everywhere(
    native: NativeApp, feishu: Feishu
) -> None:
    feishu.add_user("alice")
    chat_id = feishu.create_chat(owner="alice")
    message = feishu.send_text(chat_id, "at nine")
    assert feishu.pinned_ids(chat_id) == []

    starts = now_ms() + START_IN_MS
    made = expect(
        native.api.pin_request(chat_id, message, starts_at_ms=starts, ttl_seconds=60), 201
    )
    pin = made["pin"]
    assert (pin["scheduled"], pin["starts_at_ms"]) == (True, starts)
    assert pin["expires_at_ms"] == starts + 60_000  # the ttl counts from the start
    if now_ms() < starts:  # read before the start: nowhere yet
        assert native.api.pinned_ids(chat_id) == [] and feishu.pinned_ids(chat_id) == []
        assert _scheduled_ids(native.api, chat_id) == [message]

    wait_until(
        lambda: (
            native.api.pinned_ids(chat_id) == [message] and feishu.pinned_ids(chat_id) == [message]
        ),
        starts + LISTED_WITHIN_MS,
        "the scheduled pin in the native and Feishu lists",
    )
    listed = native.api.pins(chat_id)["pins"][0]
    assert (listed["scheduled"], listed["pinned_at_ms"], listed["starts_at_ms"]) == (
        False,
        starts,
        starts,
    )
    assert _scheduled_ids(native.api, chat_id) == []
    rows = _rows(native.api, chat_id, message)
    assert [(a, r) for a, r, _w in rows] == [("scheduled", "scheduled"), ("added", "scheduled")]
    assert rows[0][2] is not None and rows[1][2] is None  # the start is the system's
    created = [
        (e["payload"]["action"], e["payload"]["dialect"])
        for e in native.events("pin.created")
        if e["payload"]["message_id"] == message
    ]
    assert created == [("scheduled", "native"), ("added", "system")]


def test_a_start_that_finds_the_chat_full_is_dropped_under_reject(
    group_factory: Callable[..., Group],
) -> None:
    group = group_factory(pin_policy=policy(1, "reject"))
    later, now = group.send(2)
    expect(group.api.pin_request(group.chat_id, later, starts_at_ms=now_ms() + START_IN_MS), 201)
    group.api.pin(group.chat_id, now)  # the scheduled pin does not count against the cap

    _wait_for_history(group.api, group.chat_id, later, "removed")
    assert _rows(group.api, group.chat_id, later)[-1] == ("removed", "pin_limit", None)
    assert group.api.pinned_ids(group.chat_id) == [now]
    assert _scheduled_ids(group.api, group.chat_id) == []


def test_a_start_evicts_under_evict_oldest(group_factory: Callable[..., Group]) -> None:
    group = group_factory(pin_policy=policy(1, "evict_oldest"))
    later, now = group.send(2)
    expect(group.api.pin_request(group.chat_id, later, starts_at_ms=now_ms() + START_IN_MS), 201)
    group.api.pin(group.chat_id, now)

    _wait_for_history(group.api, group.chat_id, later, "added")
    assert group.api.pinned_ids(group.chat_id) == [later]
    assert _rows(group.api, group.chat_id, now)[-1] == ("replaced", "pin_limit", None)


def test_unpinning_a_scheduled_pin_cancels_it(group: Group) -> None:
    cancelled, barrier = group.send(2)
    expect(group.api.pin_request(group.chat_id, cancelled, starts_at_ms=now_ms() + 800), 201)
    expect(group.api.unpin_request(group.chat_id, cancelled), 200)
    assert _scheduled_ids(group.api, group.chat_id) == []
    assert _rows(group.api, group.chat_id, cancelled)[-1][:2] == ("removed", "unscheduled")

    # A later scheduled pin is the barrier: once it started, the sweeper has passed the
    # cancelled one's start too.
    expect(group.api.pin_request(group.chat_id, barrier, starts_at_ms=now_ms() + START_IN_MS), 201)
    _wait_for_history(group.api, group.chat_id, barrier, "added")
    assert group.api.pinned_ids(group.chat_id) == [barrier]
    assert [a for a, _r, _w in _rows(group.api, group.chat_id, cancelled)] == [
        "scheduled",
        "removed",
    ]


def test_pinning_a_scheduled_message_now_pins_it_at_once(group: Group) -> None:
    (message,) = group.send(1)
    scheduled = expect(
        group.api.pin_request(group.chat_id, message, starts_at_ms=now_ms() + 3_600_000), 201
    )
    # Asked to schedule again: the schedule stands, nothing changes.
    again = expect(
        group.api.pin_request(group.chat_id, message, starts_at_ms=now_ms() + 60_000), 200
    )
    assert again["pin"]["starts_at_ms"] == scheduled["pin"]["starts_at_ms"]
    now = expect(group.api.pin_request(group.chat_id, message), 201)["pin"]
    assert (now["scheduled"], now["starts_at_ms"]) == (False, None)
    assert group.api.pinned_ids(group.chat_id) == [message]
    assert _scheduled_ids(group.api, group.chat_id) == []


def test_scheduled_pin_bad_times_are_refused(group: Group) -> None:
    (message,) = group.send(1)
    starts = now_ms() + 60_000
    for body in (
        {"starts_at_ms": starts, "expires_at_ms": starts},
        {"starts_at_ms": starts, "expires_at_ms": starts - 1},
        {"starts_at_ms": -1},
        {"starts_at_ms": "soon"},
    ):
        reply = group.api.pin_request(group.chat_id, message, **body)
        assert reply.status_code in (400, 422), (body, reply.text)
    expect_bad_request(
        group.api.pin_request(group.chat_id, message, starts_at_ms=starts, expires_at_ms=starts),
        "invalid_expiry",
    )
    assert _scheduled_ids(group.api, group.chat_id) == []
    assert group.api.history(group.chat_id) == []


def test_a_start_due_while_the_server_was_stopped_happens_after_restart(
    restartable_server: Server, restartable_feishu: Feishu
) -> None:
    app = NativeApp(restartable_server.base_url, restartable_feishu.admin, restartable_feishu.app)
    try:
        app.users("alice")
        chat_id = app.api.create_chat(owner="alice")["id"]
        (message,) = app.api.send_many(chat_id, 1, sender="alice")
        starts = now_ms() + 2_000
        expect(app.api.pin_request(chat_id, message, starts_at_ms=starts), 201)
        restartable_server.process.stop()
        assert now_ms() < starts, "the server took too long to stop: the test proves nothing"
        wait_until(lambda: now_ms() > starts + 200, starts + 5_000, "the start time")
        restartable_server.process.start()
    finally:
        app.close()

    app = NativeApp(restartable_server.base_url, restartable_feishu.admin, restartable_feishu.app)
    try:
        _wait_for_history(app.api, chat_id, message, "added")
        assert app.api.pinned_ids(chat_id) == [message]
        assert [a for a, _r, _w in _rows(app.api, chat_id, message)] == ["scheduled", "added"]
    finally:
        app.close()


def test_a_refused_pin_now_in_a_batch_keeps_the_schedule(
    group_factory: Callable[..., Group],
) -> None:
    # A batch keeps the items that succeed; an item refused for a full chat must leave the
    # message's scheduled pin as it was, not half-replaced.
    group = group_factory(pin_policy=policy(1, "reject"))
    pinned, later, other = group.send(3)
    group.api.pin(group.chat_id, pinned)
    starts = now_ms() + 3_600_000
    expect(group.api.pin_request(group.chat_id, later, starts_at_ms=starts), 201)

    results = group.api.batch(group.chat_id, [pin_op(later), unpin_op(pinned), pin_op(other)])[
        "results"
    ]
    assert [r["ok"] for r in results] == [False, True, True]
    assert results[0]["error"]["reason"] == "pin_limit"
    assert _scheduled_ids(group.api, group.chat_id) == [later]
    assert group.api.pinned_ids(group.chat_id) == [other]

"""Pin expiry (docs/native.md, "Pins": Expiry): a pin past its time is gone at once for every
read and every cap, through every dialect; the sweeper then writes one `expired` history row
(actor null, dialect `system`) and one `pin.deleted` event, also after a restart.

Expiry is wall-clock time, so these tests poll with a deadline: there is no other signal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.e2e.feishu_client import Feishu
from tests.e2e.live_server import Server
from tests.e2e.native.client import (
    DEFAULT_PERMISSIONS,
    Native,
    NativeApp,
    expect,
    expect_error,
    now_ms,
    wait_until,
)
from tests.e2e.native.conftest import Group

# How long after a pin fell due it must be gone from reads (docs: "at once"; allow for polling).
GONE_WITHIN_MS = 2_000
# How long the sweeper may take to write the history row (it runs in the background).
SWEPT_WITHIN_MS = 15_000


def _expired_rows(api: Native, chat_id: str, message_id: str) -> list[dict[str, Any]]:
    return [
        row
        for row in api.history(chat_id)
        if row["message_id"] == message_id and row["action"] == "expired"
    ]


def _wait_for_sweep(api: Native, chat_id: str, message_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = wait_until(
        lambda: _expired_rows(api, chat_id, message_id),
        now_ms() + SWEPT_WITHIN_MS,
        f"the expired history row of {message_id}",
    )
    return rows


def _assert_swept_once(app: NativeApp, api: Native, chat_id: str, message_id: str) -> None:
    """Exactly one `expired` row and one `pin.deleted` event for the message. Another short pin
    swept afterwards is the barrier: the sweeper has run again since, and wrote nothing twice."""
    [row] = _wait_for_sweep(api, chat_id, message_id)
    assert (row["action"], row["actor"], row["dialect"]) == ("expired", None, "system")
    barrier = api.send(chat_id, "barrier", sender=_someone(api, chat_id))
    api.pin(chat_id, barrier, ttl_seconds=1)
    _wait_for_sweep(api, chat_id, barrier)
    assert len(_expired_rows(api, chat_id, message_id)) == 1
    events = [
        e
        for e in app.events("pin.deleted")
        if e["payload"]["message_id"] == message_id and e["payload"]["chat_id"] == chat_id
    ]
    assert [e["payload"]["action"] for e in events] == ["expired"]


def _someone(api: Native, chat_id: str) -> str:
    owner: str = api.chat(chat_id)["owner"]
    return owner


def test_expired_pin_is_gone_from_native_and_feishu_lists(
    native: NativeApp, feishu: Feishu
) -> None:
    feishu.add_user("alice")
    chat_id = feishu.create_chat(owner="alice")
    message = feishu.send_text(chat_id, "for one second")
    assert feishu.pinned_ids(chat_id) == []  # the SDK holds its tenant token from here on

    pin = native.api.pin(chat_id, message, ttl_seconds=1)["pin"]
    expires = pin["expires_at_ms"]
    assert 1_000 - 50 <= expires - pin["pinned_at_ms"] <= 1_000 + 50, pin
    native_ids, feishu_ids = native.api.pinned_ids(chat_id), feishu.pinned_ids(chat_id)
    if now_ms() < expires:  # both reads were made while the pin was live
        assert (native_ids, feishu_ids) == ([message], [message])

    wait_until(
        lambda: native.api.pinned_ids(chat_id) == [] and feishu.pinned_ids(chat_id) == [],
        expires + GONE_WITHIN_MS,
        "the expired pin to leave the native and Feishu lists",
    )
    _assert_swept_once(native, native.api, chat_id, message)
    # An expired pin may be pinned again.
    again = native.api.pin(chat_id, message)
    assert again["pin"]["expires_at_ms"] is None
    assert native.api.pinned_ids(chat_id) == [message]


def test_expired_pin_leaves_reads_at_once(group: Group) -> None:
    a, b = group.send(2)
    group.api.pin(group.chat_id, a)
    expires = group.api.pin(group.chat_id, b, ttl_seconds=1)["pin"]["expires_at_ms"]
    # Reads do not wait for the sweeper: the first read after the due time leaves b out.
    wait_until(lambda: now_ms() > expires, expires + GONE_WITHIN_MS, "the due time")
    assert group.api.pinned_ids(group.chat_id) == [a]
    expect_error(group.api.unpin_request(group.chat_id, b), 404, "not_found")


def test_expired_pin_frees_its_place_under_the_cap(group_factory: Callable[..., Group]) -> None:
    policy = {"max_pins": 1, "overflow": "reject", "permissions": DEFAULT_PERMISSIONS}
    group = group_factory(pin_policy=policy)
    a, b = group.send(2)
    expires = group.api.pin(group.chat_id, a, ttl_seconds=2)["pin"]["expires_at_ms"]
    refused = group.api.pin_request(group.chat_id, b)
    if now_ms() < expires:  # the chat was still full when asked
        expect_error(refused, 422, "pin_limit")
    wait_until(lambda: now_ms() > expires, expires + GONE_WITHIN_MS, "the due time")
    created = expect(group.api.pin_request(group.chat_id, b), 201)
    assert created["evicted"] == []
    assert group.api.pinned_ids(group.chat_id) == [b]


def test_pin_due_while_the_server_was_stopped_is_swept_after_restart(
    restartable_server: Server, restartable_feishu: Feishu
) -> None:
    app = NativeApp(restartable_server.base_url, restartable_feishu.admin, restartable_feishu.app)
    try:
        app.users("alice")
        chat_id = app.api.create_chat(owner="alice")["id"]
        keep, short = app.api.send_many(chat_id, 2, sender="alice")
        app.api.pin(chat_id, keep)
        expires = app.api.pin(chat_id, short, ttl_seconds=2)["pin"]["expires_at_ms"]
        assert _expired_rows(app.api, chat_id, short) == []

        restartable_server.process.stop()
        assert now_ms() < expires, "the server took too long to stop: the test proves nothing"
        # Let the pin fall due while nothing runs.
        wait_until(lambda: now_ms() > expires + 200, expires + 5_000, "the due time")
        restartable_server.process.start()
    finally:
        app.close()

    app = NativeApp(restartable_server.base_url, restartable_feishu.admin, restartable_feishu.app)
    try:
        assert app.api.pinned_ids(chat_id) == [keep]
        _assert_swept_once(app, app.api, chat_id, short)
        assert app.api.pinned_ids(chat_id) == [keep]
    finally:
        app.close()

"""An app's clock, moved over the admin API (docs/testing.md, "Clock"): tokens, pins and rate
windows of that app pass with its time, so a test needs no sleep; other apps keep the real time;
a server without test controls refuses to move any clock."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.feishu_client import Feishu, expect_ok
from tests.e2e.live_server import (
    Server,
    ServerProcess,
    admin_client,
    create_app,
    database_url_for,
)
from tests.e2e.native.client import (
    NativeApp,
    expect,
    expect_bad_request,
    expect_error,
    now_ms,
    wait_until,
)

HOUR_MS = 3_600_000


def _clock(admin: httpx.Client, app_id: str) -> dict[str, Any]:
    return expect(admin.get(f"/v1/apps/{app_id}/clock"), 200)


def _move(admin: httpx.Client, app_id: str, **body: Any) -> dict[str, Any]:
    return expect(admin.put(f"/v1/apps/{app_id}/clock", json=body), 200)


def test_a_new_app_runs_on_the_real_time(native: NativeApp, admin: httpx.Client) -> None:
    before = now_ms()
    clock = _clock(admin, native.app_id)
    assert before - 1_000 <= clock["now_ms"] <= now_ms() + 1_000
    assert (clock["frozen"], clock["offset_ms"]) == (False, 0)


def test_a_frozen_clock_stands_still_and_moves_only_when_advanced(
    native: NativeApp, admin: httpx.Client
) -> None:
    frozen = _move(admin, native.app_id, now_ms=1_900_000_000_000, frozen=True)
    assert (frozen["now_ms"], frozen["frozen"]) == (1_900_000_000_000, True)
    assert _clock(admin, native.app_id)["now_ms"] == 1_900_000_000_000
    moved = _move(admin, native.app_id, advance_ms=90_000)
    assert (moved["now_ms"], moved["frozen"]) == (1_900_000_090_000, True)
    # Running again from there, then back to the real time.
    running = _move(admin, native.app_id, frozen=False)
    assert running["frozen"] is False and running["now_ms"] >= 1_900_000_090_000
    real = expect(admin.delete(f"/v1/apps/{native.app_id}/clock"), 200)
    assert (real["offset_ms"], real["frozen"]) == (0, False)


def test_parallel_advances_add_up(native: NativeApp, admin: httpx.Client, server: Any) -> None:
    _move(admin, native.app_id, now_ms=2_000_000_000_000, frozen=True)

    async def advance_all() -> list[int]:
        async with httpx.AsyncClient(
            base_url=server.base_url, headers=admin.headers, timeout=30
        ) as client:
            replies = await asyncio.gather(
                *(
                    client.put(f"/v1/apps/{native.app_id}/clock", json={"advance_ms": 1_000})
                    for _ in range(12)
                )
            )
        return [r.status_code for r in replies]

    assert asyncio.run(advance_all()) == [200] * 12
    assert _clock(admin, native.app_id)["now_ms"] == 2_000_000_012_000


def test_a_moved_clock_expires_a_native_pin_at_once_and_the_sweeper_records_it(
    native: NativeApp, feishu: Feishu, admin: httpx.Client
) -> None:
    feishu.add_user("alice")
    chat_id = feishu.create_chat(owner="alice")
    message = feishu.send_text(chat_id, "for a minute")
    start = _move(admin, native.app_id, frozen=True)["now_ms"]
    pin = expect(native.api.pin_request(chat_id, message, ttl_seconds=60), 201)["pin"]
    assert pin["expires_at_ms"] == start + 60_000  # the ttl counts from the app's time

    _move(admin, native.app_id, advance_ms=59_999)
    assert native.api.pinned_ids(chat_id) == [message]
    _move(admin, native.app_id, advance_ms=1)
    # Gone for every read at once, whatever the dialect.
    assert native.api.pinned_ids(chat_id) == []
    assert feishu.pinned_ids(chat_id) == []
    # The sweeper writes the history row at the app's time (it polls twice a second).
    wait_until(
        lambda: "expired" in native.api.history_of(chat_id, message),
        now_ms() + 10_000,
        "the expiry in the pin history",
    )
    expired = next(
        row
        for row in native.api.history(chat_id)
        if row["message_id"] == message and row["action"] == "expired"
    )
    assert expired["at_ms"] == start + 60_000


def test_a_moved_clock_expires_a_user_token(feishu: Feishu, admin: httpx.Client) -> None:
    feishu.add_user("alice")
    chat_id = feishu.create_chat(owner="alice")
    token = feishu.issue_token("alice", ttl_seconds=120)["token"]
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/open-apis/im/v1/chats/{chat_id}"
    with httpx.Client(base_url=feishu.base_url, headers=headers, timeout=30) as user:
        assert user.get(path).json()["code"] == 0
        _move(admin, feishu.app["id"], advance_ms=121_000)
        assert user.get(path).json()["code"] == 99991677  # Feishu: user token expired
        expect(admin.delete(f"/v1/apps/{feishu.app['id']}/clock"), 200)
        assert user.get(path).json()["code"] == 0  # the real time again: still valid


def test_a_frozen_clock_holds_a_rate_window_until_advanced(
    feishu: Feishu, admin: httpx.Client
) -> None:
    """Feishu's 5 messages per second into one group (230020), passed with no sleep."""
    feishu.add_user("alice")
    chat_id = feishu.create_chat(owner="alice")
    _move(admin, feishu.app["id"], frozen=True)
    text = json.dumps({"text": "hi"})
    codes = [feishu.send_request(chat_id, "text", text, retry=False).code for _ in range(6)]
    assert codes == [0, 0, 0, 0, 0, 230020]
    assert feishu.send_request(chat_id, "text", text, retry=False).code == 230020
    _move(admin, feishu.app["id"], advance_ms=1_000)
    expect_ok(feishu.send_request(chat_id, "text", text, retry=False))


def test_another_apps_time_does_not_move(native_factory: Any, admin: httpx.Client) -> None:
    moved, other = native_factory(), native_factory()
    _move(admin, moved.app_id, advance_ms=30 * 24 * HOUR_MS)
    clock = _clock(admin, other.app_id)
    assert clock["offset_ms"] == 0 and abs(clock["now_ms"] - now_ms()) < 5_000


def test_bad_clock_changes_are_refused(native: NativeApp, admin: httpx.Client) -> None:
    expect_bad_request(
        admin.put(f"/v1/apps/{native.app_id}/clock", json={"now_ms": 1, "advance_ms": 1}),
        "invalid_clock",
    )
    expect_error(admin.put(f"/v1/apps/{native.app_id}/clock", json={"now_ms": "1"}), 400)
    expect_error(admin.put(f"/v1/apps/{native.app_id}/clock", json={"speed": 2}), 400)
    # A time no dialect can render as a date: refused, nothing moved (also by many advances).
    last_ms = 253_402_300_799_999
    expect_bad_request(
        admin.put(f"/v1/apps/{native.app_id}/clock", json={"offset_ms": last_ms}), "invalid_clock"
    )
    _move(admin, native.app_id, now_ms=last_ms - 1_000, frozen=True)
    expect_bad_request(
        admin.put(f"/v1/apps/{native.app_id}/clock", json={"advance_ms": 1_001}), "invalid_clock"
    )
    assert _clock(admin, native.app_id)["now_ms"] == last_ms - 1_000
    expect(admin.delete(f"/v1/apps/{native.app_id}/clock"), 200)
    expect_error(admin.get("/v1/apps/no-such-app/clock"), 404)
    with httpx.Client(base_url=str(admin.base_url), timeout=30) as anonymous:
        expect_error(anonymous.put(f"/v1/apps/{native.app_id}/clock", json={}), 401)
    # Nothing moved.
    assert _clock(admin, native.app_id)["offset_ms"] == 0


def test_without_test_controls_no_clock_moves(tmp_path: Path) -> None:
    process = ServerProcess(
        database_url_for("sqlite", tmp_path),
        tmp_path,
        extra_env={"CHATPINS_TEST_CONTROLS": "false"},
    )
    process.start()
    try:
        with admin_client(Server("sqlite", process)) as admin:
            app = create_app(admin, "production-like")
            reply = admin.put(f"/v1/apps/{app['id']}/clock", json={"advance_ms": 1_000})
            assert expect_error(reply, 403)["reason"] == "test_controls_disabled"
            expect_error(admin.get(f"/v1/apps/{app['id']}/clock"), 403)
    finally:
        process.stop()


def test_a_reset_app_runs_on_the_real_time_again(native: NativeApp, admin: httpx.Client) -> None:
    _move(admin, native.app_id, advance_ms=HOUR_MS, frozen=True)
    expect(admin.post(f"/v1/apps/{native.app_id}/reset"), 200)
    clock = _clock(admin, native.app_id)
    assert (clock["offset_ms"], clock["frozen"]) == (0, False)

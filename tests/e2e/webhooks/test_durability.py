"""Killing the server between commit and delivery loses nothing: delivery resumes on restart."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.live_server import Server
from tests.e2e.webhooks.conftest import Receiver, _start, hook_app

EVENTS = 40


def test_events_committed_before_a_kill_are_delivered_after_the_restart(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    receiver: Receiver,
) -> None:
    def slow(_request, _before):  # type: ignore[no-untyped-def]
        time.sleep(0.3)  # four in flight at a time: 40 events take seconds to deliver
        return 200, b""

    receiver.on("/slow", slow)
    process = _start(f"sqlite+aiosqlite:///{tmp_path / 'kill.db'}", tmp_path, monkeypatch, request)
    try:
        app = hook_app(Server("sqlite", process))
        hook = app.add_webhook(url=receiver.url("/slow"))
        app.make_events(EVENTS)
        assert process._proc is not None
        process._proc.kill()  # SIGKILL: no shutdown, leases and pending rows left as they are
        process._proc.wait(timeout=10)
        delivered_before = {r.headers["webhook-id"] for r in receiver.at("/slow")}
        assert len(delivered_before) < EVENTS  # the kill came before delivery finished

        process.start()
        receiver.wait_for(
            lambda: len({r.headers["webhook-id"] for r in receiver.at("/slow")}) == EVENTS,
            timeout=60,
        )
        # Same port after the restart: the clients carry on.
        deliveries = app.deliveries(hook["id"], limit=1000)
        assert [d["seq"] for d in deliveries] == list(range(1, EVENTS + 1))
        receiver.wait_for(
            lambda: all(d["status"] == "delivered" for d in app.deliveries(hook["id"], limit=1000))
        )
    finally:
        process.stop()


def test_deliveries_cut_short_by_sigterm_are_given_back_and_sent_at_once_after(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    receiver: Receiver,
) -> None:
    released = threading.Event()

    def hold(_request, _before):  # type: ignore[no-untyped-def]
        released.wait(timeout=60)  # the receiver sits on the first deliveries
        return 200, b""

    receiver.on("/hold", hold)
    # A lease lasts the webhook timeout + 5 s: 65 s here. Given back, a delivery goes out again
    # as soon as a worker runs; kept, it would wait out the 65 s.
    monkeypatch.setenv("CHATPINS_WEBHOOK_TIMEOUT_SECONDS", "60")
    monkeypatch.setenv("CHATPINS_SHUTDOWN_GRACE_SECONDS", "1")
    process = _start(f"sqlite+aiosqlite:///{tmp_path / 'term.db'}", tmp_path, monkeypatch, request)
    try:
        app = hook_app(Server("sqlite", process))
        app.add_webhook(url=receiver.url("/hold"))
        app.make_events(2)
        receiver.wait_for(lambda: len(receiver.at("/hold")) >= 1)
        process.send_signal(signal.SIGTERM)
        process.wait_exit(timeout=30)
        held = {r.headers["webhook-id"] for r in receiver.at("/hold")}
        released.set()

        restarted = time.monotonic()
        process.start()
        receiver.wait_for(
            lambda: all(
                sum(r.headers["webhook-id"] == held_id for r in receiver.at("/hold")) >= 2
                for held_id in held
            ),
            timeout=30,
        )
        assert time.monotonic() - restarted < 60  # well before the kept lease would end
    finally:
        released.set()
        process.stop()

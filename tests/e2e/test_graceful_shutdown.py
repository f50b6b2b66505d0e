"""SIGTERM, as an orchestrator stops an instance: requests under way finish and are answered,
what they changed is kept, the lifespan's shutdown runs and the process exits. (Open event
streams are told 1012 "restarting" and resume elsewhere: tests/e2e/events/test_fanout.py.)"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx

from tests.e2e.events.apps import imkit_app
from tests.e2e.imkit.conftest import ok
from tests.e2e.live_server import Server, ServerProcess

DELAY_MS = 1500


def _rule_fired(imkit_admin: httpx.Client, app_id: str) -> bool:
    rules = imkit_admin.get(f"/v1/apps/{app_id}/faults").json()["faults"]
    return not rules or rules[0]["remaining"] == 0


def test_a_request_under_way_at_sigterm_is_answered_and_kept(tmp_path: Path) -> None:
    process = ServerProcess(f"sqlite+aiosqlite:///{tmp_path / 'stop.db'}", tmp_path)
    process.start()
    server = Server("sqlite", process)
    with imkit_app(server, "graceful stop") as imkit:
        app_id = imkit.app["id"]
        imkit.user("alice")
        imkit.room("lobby", "alice", [])
        # The next message waits 1.5 s inside the server: it is under way when SIGTERM comes.
        rule = {"dialect": "imkit", "match": "POST /rooms/*/message", "delay_ms": DELAY_MS}
        assert imkit.admin.post(f"/v1/apps/{app_id}/faults", json=rule).status_code == 201
        answers: list[httpx.Response | BaseException] = []

        def send() -> None:
            try:
                answers.append(
                    imkit.as_user(
                        "alice",
                        "POST",
                        "/rooms/lobby/message",
                        json={"message": "sent before the stop", "messageType": "text"},
                    )
                )
            except BaseException as exc:
                answers.append(exc)

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 10
        while not _rule_fired(imkit.admin, app_id):  # the request has reached the use case
            assert time.monotonic() < deadline, "the delayed request never arrived"
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        sender.join(timeout=30)
        # uvicorn raises the signal again once it has shut down, so the exit says "SIGTERM".
        assert process.wait_exit(timeout=30) == -signal.SIGTERM
        assert "Application shutdown complete" in process.log_path.read_text()

    assert len(answers) == 1 and isinstance(answers[0], httpx.Response), answers
    sent = ok(answers[0])["_id"]

    process.start()  # the same database: the message was committed before the exit
    try:
        listed = httpx.get(
            f"{process.base_url}/rooms/lobby/messages/v3",
            headers={"IM-API-KEY": imkit.api_key},
            timeout=10,
        )
    finally:
        process.stop()
    assert sent in [m["_id"] for m in ok(listed)["data"]]

"""`chatpins webhooks …` and `chatpins events tail`, run as a user would, beside a live server."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

from tests.e2e.live_server import Server, admin_client, create_app
from tests.e2e.test_cli import chatpins


def test_webhooks_from_the_command_line(restartable_server: Server) -> None:
    db = ["--database-url", restartable_server.process.database_url]
    with admin_client(restartable_server) as admin:
        app = create_app(admin, "cli hooks")
    added = chatpins(
        "webhooks", "add", "--app", app["id"], "--url", "http://127.0.0.1:9/x",
        "--event-type", "pin.*", "--event-type", "message.sent", "--json", *db,
    )  # fmt: skip
    hook = json.loads(added.stdout)
    assert hook["event_types"] == ["pin.*", "message.sent"] and hook["secret"].startswith("whsec_")
    listed = json.loads(chatpins("webhooks", "list", "--app", app["id"], "--json", *db).stdout)
    assert [w["id"] for w in listed["webhooks"]] == [hook["id"]]
    # Without --json: one line per webhook.
    lines = chatpins("webhooks", "list", "--app", app["id"], *db).stdout.splitlines()
    assert lines == [f"{hook['id']}  active  native  http://127.0.0.1:9/x  pin.*,message.sent"]
    # The running server sees what the command line wrote.
    with admin_client(restartable_server) as admin:
        assert admin.get(f"/v1/apps/{app['id']}/webhooks/{hook['id']}").status_code == 200
    paused = chatpins(
        "webhooks", "set-status", "--app", app["id"], hook["id"], "paused", "--json", *db
    )  # fmt: skip
    assert json.loads(paused.stdout)["status"] == "paused"
    deliveries = chatpins(
        "webhooks", "deliveries", "--app", app["id"], hook["id"], "--json", *db
    )  # fmt: skip
    assert json.loads(deliveries.stdout) == {"deliveries": []}
    bad = chatpins(
        "webhooks", "add", "--app", app["id"], "--url", "mailto:x", *db, check=False
    )  # fmt: skip
    assert bad.returncode != 0 and "invalid_webhook_url" in bad.stdout + bad.stderr
    chatpins("webhooks", "remove", "--app", app["id"], hook["id"], *db)
    listed = json.loads(chatpins("webhooks", "list", "--app", app["id"], "--json", *db).stdout)
    assert listed == {"webhooks": []}


def test_events_tail_prints_the_stream(restartable_server: Server) -> None:
    with admin_client(restartable_server) as admin:
        app = create_app(admin, "cli tail")
    api_key = app["imkit"]["api_key"]
    imkit = httpx.Client(base_url=restartable_server.base_url, headers={"IM-API-KEY": api_key})
    assert imkit.post("/admin/clients", json={"_id": "u1", "nickname": "U"}).json()["RC"] == 0
    for room in ("r1", "r2", "r3"):
        body = {"_id": room, "name": room, "owner": "u1", "members": []}
        assert imkit.post("/rooms", json=body).json()["RC"] == 0
    tail = subprocess.run(
        [
            sys.executable, "-m", "chatpins", "events", "tail",
            "--server", restartable_server.base_url, "--token", api_key,
            "--after", "1", "--limit", "2",
        ],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert tail.returncode == 0, tail.stderr
    frames = [json.loads(line) for line in tail.stdout.splitlines()]
    assert [f["event"]["seq"] for f in frames] == [2, 3]
    assert [f["event"]["payload"]["chat_id"] for f in frames] == ["r2", "r3"]
    refused = subprocess.run(
        [
            sys.executable, "-m", "chatpins", "events", "tail",
            "--server", restartable_server.base_url, "--token", "nope", "--limit", "1",
        ],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode != 0 and "4401" in refused.stderr

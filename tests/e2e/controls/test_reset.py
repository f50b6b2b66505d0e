"""``POST /v1/apps/{id}/reset`` and ``chatpins reset``: an app is emptied between tests while
every credential a test suite holds keeps working (docs/testing.md, "Reset")."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any

import httpx

from tests.e2e.feishu_client import Feishu, build_lark_client, expect_error
from tests.e2e.live_server import Server
from tests.e2e.test_cli import chatpins
from tests.e2e.zim.client import Zim

NewApp = Callable[[], dict[str, Any]]


def _feishu(server: Server, admin: httpx.Client, app: dict[str, Any]) -> Feishu:
    client = build_lark_client(
        server.base_url, app["feishu"]["app_id"], app["feishu"]["app_secret"]
    )
    return Feishu(server.base_url, admin, app, client)


def _events(admin: httpx.Client, app_id: str) -> list[dict[str, Any]]:
    reply = admin.get(f"/v1/apps/{app_id}/events", params={"limit": 1000})
    assert reply.status_code == 200, reply.text
    events: list[dict[str, Any]] = reply.json()["events"]
    return events


def _rooms(server: Server, app: dict[str, Any]) -> int:
    reply = httpx.get(f"{server.base_url}/rooms", headers={"IM-API-KEY": app["imkit"]["api_key"]})
    assert reply.status_code == 200, reply.text
    total: int = reply.json()["result"]["totalCount"]
    return total


def test_reset_empties_the_app_and_every_credential_still_works(
    controlled_server: Server, controls_admin: httpx.Client, new_app: NewApp
) -> None:
    app, other = new_app(), new_app()
    feishu = _feishu(controlled_server, controls_admin, app)
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(members=["alice"])
    feishu.pin_ok(message_id)
    alice_token = feishu.user_token("alice")
    _feishu(controlled_server, controls_admin, other).chat_with_message()
    head = _events(controls_admin, app["id"])[-1]["seq"]
    assert _rooms(controlled_server, app) == 1

    reply = controls_admin.post(f"/v1/apps/{app['id']}/reset")

    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["app_id"] == app["id"]
    removed = body["removed"]
    assert (removed["users"], removed["chats"], removed["messages"], removed["pins"]) == (
        1,
        1,
        1,
        1,
    )
    assert removed["members"] == 2  # alice and the bot
    assert removed["events"] == head
    assert "apps" not in removed

    # The SDK's cached tenant token still works: the chat is gone, not the credential.
    expect_error(feishu.get_chat(chat_id), 232006)
    new_chat = feishu.create_chat()
    assert new_chat != chat_id
    token = httpx.post(
        f"{controlled_server.base_url}/open-apis/auth/v3/tenant_access_token/internal",
        json={"app_id": feishu.app_id, "app_secret": feishu.app_secret},
    ).json()
    assert token["code"] == 0 and token["tenant_access_token"].startswith("t-")
    # A user's token went with the user (99991668: unknown user token).
    assert feishu.user_token("alice") == alice_token
    expect_error(feishu.pin(message_id, as_user="alice"), 99991668)
    # Every dialect's credentials: IMKit's API key, ZIM's signature, the native API key.
    assert _rooms(controlled_server, app) == 1  # the chat made after the reset
    with httpx.Client(base_url=controlled_server.base_url, timeout=30.0) as http:
        zim = Zim(
            controlled_server.base_url, app["zim"]["app_id"], app["zim"]["server_secret"], http
        )
        zim.register("zoe")
    native = httpx.get(
        f"{controlled_server.base_url}/v1/capabilities",
        headers={"Authorization": f"Bearer {app['native']['api_key']}"},
    )
    assert native.status_code == 200, native.text
    # Event seqs go on from where they were: a resuming stream never sees one twice.
    assert [e["seq"] for e in _events(controls_admin, app["id"])][0] == head + 1
    # The other app is untouched.
    assert _rooms(controlled_server, other) == 1


def test_reset_needs_the_admin_key_and_a_known_app(
    controlled_server: Server, controls_admin: httpx.Client, new_app: NewApp
) -> None:
    app = new_app()
    url = f"{controlled_server.base_url}/v1/apps/{app['id']}/reset"
    missing = httpx.post(url)
    assert missing.status_code == 401, missing.text
    assert missing.json()["error"]["code"] == "missing_admin_key"
    wrong = httpx.post(url, headers={"Authorization": "Bearer not-the-key"})
    assert wrong.status_code == 401, wrong.text
    assert wrong.json()["error"]["code"] == "wrong_admin_key"
    unknown = controls_admin.post("/v1/apps/app_0000000000000000/reset")
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["error"]["code"] == "not_found"


def test_test_controls_off_refuse_reset_and_fault_rules(closed_server: Server) -> None:
    headers = {"Authorization": f"Bearer {closed_server.admin_key}"}
    with httpx.Client(base_url=closed_server.base_url, headers=headers, timeout=30.0) as admin:
        app = admin.post("/v1/apps", json={"name": "closed"}).json()
        rule = {"dialect": "zim", "match": "ConvPinned", "code": 660000001}
        for reply in (
            admin.post(f"/v1/apps/{app['id']}/reset"),
            admin.post(f"/v1/apps/{app['id']}/faults", json=rule),
            admin.get(f"/v1/apps/{app['id']}/faults"),
            admin.delete(f"/v1/apps/{app['id']}/faults"),
        ):
            assert reply.status_code == 403, reply.text
            assert reply.json()["error"]["code"] == "test_controls_disabled"
        # Still behind the admin key: without it, nothing is told.
        assert httpx.post(f"{closed_server.base_url}/v1/apps/{app['id']}/reset").status_code == 401


def _cli(*args: str, test_controls: str) -> subprocess.CompletedProcess[str]:
    return chatpins(*args, check=False, env={"CHATPINS_TEST_CONTROLS": test_controls})


def test_cli_reset_works_beside_the_running_server(
    controlled_server: Server, controls_admin: httpx.Client, new_app: NewApp
) -> None:
    app = new_app()
    feishu = _feishu(controlled_server, controls_admin, app)
    chat_id, _message_id = feishu.chat_with_message()
    url = controlled_server.process.database_url

    refused = _cli("reset", "--app", app["id"], "--database-url", url, test_controls="false")
    assert refused.returncode == 1
    assert "test_controls_disabled" in refused.stderr
    assert _rooms(controlled_server, app) == 1

    done = _cli("reset", "--app", app["id"], "--database-url", url, "--json", test_controls="true")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["app_id"] == app["id"]
    assert (body["removed"]["chats"], body["removed"]["messages"]) == (1, 1)
    expect_error(feishu.get_chat(chat_id), 232006)
    assert _rooms(controlled_server, app) == 0

    unknown = _cli("reset", "--app", "app_missing", "--database-url", url, test_controls="true")
    assert unknown.returncode == 1
    assert "app_not_found" in unknown.stderr

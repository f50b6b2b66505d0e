"""The webhook API on bad input: the documented error, nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.live_server import Server, create_app, remove_webhooks


def _error(reply: httpx.Response, status: int, reason: str) -> None:
    assert reply.status_code == status, reply.text
    error = reply.json()["error"]
    assert error["reason"] == reason, reply.text
    assert error["code"] == ("not_found" if status == 404 else reason), reply.text


@pytest.fixture
def two_apps(admin: httpx.Client) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    apps = create_app(admin, "hooks a"), create_app(admin, "hooks b")
    yield apps
    for app in apps:  # the shared server's worker would visit them the whole session
        remove_webhooks(admin, app["id"])


def test_bad_registrations_are_refused_and_nothing_is_kept(
    admin: httpx.Client, two_apps: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    app, _ = two_apps
    path = f"/v1/apps/{app['id']}/webhooks"
    for body, status, code in (
        ({"url": "ftp://example.com/x"}, 400, "invalid_webhook_url"),
        ({"url": "http://"}, 400, "invalid_webhook_url"),
        ({"url": "http://example.com", "event_types": ["pin.nope"]}, 400, "unknown_event_types"),
        (
            {"url": "http://example.com", "event_types": ["im.message.receive_v1"]},
            400,
            "unknown_event_types",
        ),
        ({"url": "http://example.com", "after": 99}, 400, "invalid_cursor"),
        ({"url": "http://example.com", "format": "xml"}, 400, "invalid_argument"),
        ({"url": 12}, 400, "invalid_argument"),
        ({"url": "http://example.com", "event_types": "pin.created"}, 400, "invalid_argument"),
        ({"url": "http://example.com", "unknown": 1}, 400, "invalid_argument"),
        ({"url": "http://example.com/" + "x" * 3000}, 400, "invalid_argument"),
    ):
        _error(admin.post(path, json=body), status, code)
    _error(
        admin.post(path, content=b"{not json", headers={"content-type": "application/json"}),
        400,
        "invalid_argument",
    )
    assert admin.get(path).json() == {"webhooks": []}


def test_one_tenant_never_reaches_anothers_webhooks(
    server: Server, admin: httpx.Client, two_apps: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    mine, theirs = two_apps
    created = admin.post(f"/v1/apps/{mine['id']}/webhooks", json={"url": "http://127.0.0.1:9/x"})
    assert created.status_code == 201, created.text
    hook = created.json()
    wrong = f"/v1/apps/{theirs['id']}/webhooks/{hook['id']}"
    _error(admin.get(wrong), 404, "webhook_not_found")
    _error(admin.patch(wrong, json={"status": "paused"}), 404, "webhook_not_found")
    _error(admin.delete(wrong), 404, "webhook_not_found")
    _error(admin.get(wrong + "/deliveries"), 404, "webhook_not_found")
    assert admin.get(f"/v1/apps/{theirs['id']}/webhooks").json() == {"webhooks": []}
    assert admin.get(f"/v1/apps/{mine['id']}/webhooks/{hook['id']}").json()["status"] == "active"
    _error(admin.get("/v1/apps/app_nope/webhooks"), 404, "app_not_found")
    no_key = httpx.get(f"{server.base_url}/v1/apps/{mine['id']}/webhooks")
    _error(no_key, 401, "missing_admin_key")
    wrong_key = httpx.get(
        f"{server.base_url}/v1/apps/{mine['id']}/webhooks", headers={"Authorization": "Bearer nope"}
    )
    _error(wrong_key, 401, "wrong_admin_key")


def test_pause_resume_change_and_remove(
    admin: httpx.Client, two_apps: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    app, _ = two_apps
    path = f"/v1/apps/{app['id']}/webhooks"
    hook = admin.post(path, json={"url": "http://127.0.0.1:9/x", "event_types": ["pin.*"]}).json()
    paused = admin.patch(f"{path}/{hook['id']}", json={"status": "paused"}).json()
    assert paused["status"] == "paused" and paused["paused_at"]
    changed = admin.patch(
        f"{path}/{hook['id']}",
        json={"status": "active", "url": "http://127.0.0.1:9/y", "event_types": ["message.sent"]},
    ).json()
    assert (changed["status"], changed["url"], changed["event_types"]) == (
        "active",
        "http://127.0.0.1:9/y",
        ["message.sent"],
    )
    _error(admin.patch(f"{path}/{hook['id']}", json={"status": "dead"}), 400, "invalid_argument")
    _error(
        admin.patch(f"{path}/{hook['id']}", json={"url": "gopher://x"}), 400, "invalid_webhook_url"
    )
    assert admin.get(f"{path}/{hook['id']}").json()["url"] == "http://127.0.0.1:9/y"
    assert admin.delete(f"{path}/{hook['id']}").status_code == 204
    _error(admin.get(f"{path}/{hook['id']}"), 404, "webhook_not_found")

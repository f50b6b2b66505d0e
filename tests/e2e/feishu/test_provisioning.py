"""Native provisioning API (/v1) as the Feishu tests rely on it."""

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest


def test_health_is_ok(server):
    reply = httpx.get(f"{server.base_url}/v1/health")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok"}


def test_create_app_returns_feishu_credentials(app):
    assert app["id"].startswith("app_")
    assert app["name"].startswith("e2e ")
    creds = app["feishu"]
    assert re.fullmatch(r"cli_[0-9a-f]{16}", creds["app_id"])
    assert re.fullmatch(r"[A-Za-z0-9]{32}", creds["app_secret"])
    assert creds["bot_open_id"].startswith("ou_")
    assert isinstance(app["settings"], dict)


def test_apps_get_distinct_credentials(feishu_factory):
    first, second = feishu_factory(), feishu_factory()
    assert first.app["id"] != second.app["id"]
    assert first.app_id != second.app_id
    assert first.app_secret != second.app_secret


@pytest.mark.parametrize("auth", [None, "Bearer wrong-key", "wrong-key"])
def test_native_api_requires_admin_key(server, auth):
    headers = {"Authorization": auth} if auth else {}
    reply = httpx.post(f"{server.base_url}/v1/apps", json={"name": "intruder"}, headers=headers)
    assert reply.status_code == 401


def test_create_user_returns_feishu_ids(feishu):
    user = feishu.add_user("alice", "Alice")
    assert user["id"] == "alice"
    assert user["name"] == "Alice"
    assert user["is_bot"] is False
    assert re.fullmatch(r"ou_[0-9a-f]{32}", user["feishu"]["open_id"])
    assert re.fullmatch(r"on_[0-9a-f]{32}", user["feishu"]["union_id"])
    assert user["feishu"]["user_id"] == "alice"


def test_same_user_id_in_two_apps_gets_two_open_ids(feishu_factory):
    first, second = feishu_factory(), feishu_factory()
    a = first.add_user("alice")
    b = second.add_user("alice")
    assert a["feishu"]["open_id"] != b["feishu"]["open_id"]


def test_issue_user_token(feishu):
    feishu.add_user("alice")
    before = datetime.now(UTC)
    issued = feishu.issue_token("alice", ttl_seconds=600)
    assert issued["token"].startswith("u-")
    expires_at = datetime.fromisoformat(issued["expires_at"].replace("Z", "+00:00"))
    assert expires_at.tzinfo is not None
    assert before + timedelta(seconds=590) <= expires_at <= before + timedelta(seconds=620)


def test_patch_app_settings(feishu):
    patched = feishu.patch_app(bot_enabled=False, pin_scope_granted=False)
    assert patched["id"] == feishu.app["id"]
    assert patched["feishu"]["app_id"] == feishu.app_id

"""`chatpins apps rotate-secret`, run beside a live server: the new secret works at once and the
old one stops, for each dialect; a Feishu rotation also revokes the tenant tokens issued with
the old app_secret, and the event streams opened with them close."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.events.client import open_stream
from tests.e2e.live_server import Server, create_app
from tests.e2e.test_cli import chatpins
from tests.e2e.zim.client import Zim

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        yield client


def rotate(server: Server, app_id: str, dialect: str) -> str:
    result = chatpins(
        *("apps", "rotate-secret", app_id, "--dialect", dialect),
        *("--database-url", server.process.database_url, "--json"),
    )
    reply: dict[str, Any] = json.loads(result.stdout)
    assert reply["app"] == app_id and reply["dialect"] == dialect
    return str(reply["secret"])


def tenant_token(http: httpx.Client, app_id: str, secret: str) -> dict[str, Any]:
    reply: dict[str, Any] = http.post(
        TOKEN_PATH, json={"app_id": app_id, "app_secret": secret}
    ).json()
    return reply


def create_chat(http: httpx.Client, token: str) -> int:
    """A Feishu call as the app's bot; its ``code``."""
    reply = http.post(
        "/open-apis/im/v1/chats",
        json={"name": "rotation"},
        headers={"Authorization": f"Bearer {token}"},
    )
    code: int = reply.json()["code"]
    return code


async def test_a_new_feishu_secret_revokes_the_tokens_of_the_old_one(
    server: Server, admin: httpx.Client, http: httpx.Client
) -> None:
    app = create_app(admin, "rotate feishu")
    feishu_id, old_secret = app["feishu"]["app_id"], app["feishu"]["app_secret"]
    old_token = tenant_token(http, feishu_id, old_secret)["tenant_access_token"]
    assert create_chat(http, old_token) == 0
    stream = await open_stream(server.base_url, old_token)
    try:
        new_secret = rotate(server, app["id"], "feishu")
        closed = await stream.read_until_closed()
    finally:
        await stream.close()
    assert (closed.code, closed.reason) == (4401, "revoked_token")
    assert new_secret != old_secret and len(new_secret) == 32 and new_secret.isalnum()

    assert create_chat(http, old_token) == 99991663
    assert tenant_token(http, feishu_id, old_secret) == {"code": 10014, "msg": "app secret invalid"}
    issued = tenant_token(http, feishu_id, new_secret)
    assert issued["code"] == 0 and issued["tenant_access_token"] != old_token
    assert create_chat(http, issued["tenant_access_token"]) == 0


def test_a_new_imkit_api_key_replaces_the_old_one(
    server: Server, admin: httpx.Client, http: httpx.Client
) -> None:
    app = create_app(admin, "rotate imkit")
    old_key = app["imkit"]["api_key"]
    assert http.get("/rooms", headers={"IM-API-KEY": old_key}).json()["RC"] == 0
    new_key = rotate(server, app["id"], "imkit")
    refused = http.get("/rooms", headers={"IM-API-KEY": old_key})
    assert refused.status_code == 401 and refused.json()["RC"] != 0
    assert http.get("/rooms", headers={"IM-API-KEY": new_key}).json()["RC"] == 0


def test_a_new_zim_server_secret_signs_and_the_old_one_does_not(
    server: Server, admin: httpx.Client, http: httpx.Client
) -> None:
    app = create_app(admin, "rotate zim")
    zim_app_id, old_secret = app["zim"]["app_id"], app["zim"]["server_secret"]
    body = {"UserInfo": [{"UserId": "ivy"}]}
    old = Zim(server.base_url, zim_app_id, old_secret, http)
    assert old.call("UserRegister", body)["Code"] == 0
    new_secret = rotate(server, app["id"], "zim")
    assert len(new_secret) == 32 and int(new_secret, 16) >= 0
    assert old.call("QueryConversationList", {"FromUserId": "ivy"})["Code"] == 100000005
    new = Zim(server.base_url, zim_app_id, new_secret, http)
    assert new.call("QueryConversationList", {"FromUserId": "ivy"})["Code"] == 0
    # ZIM's signature needs the secret itself: `apps show` still lists it (the new one).
    shown = json.loads(
        chatpins(
            "apps", "show", app["id"], "--database-url", server.process.database_url, "--json"
        ).stdout
    )
    assert shown["zim"]["server_secret"] == new_secret


def test_a_new_native_api_key_replaces_the_old_one(
    server: Server, admin: httpx.Client, http: httpx.Client
) -> None:
    app = create_app(admin, "rotate native")
    old_key = app["native"]["api_key"]

    def chats(key: str) -> int:
        return http.get("/v1/capabilities", headers={"Authorization": f"Bearer {key}"}).status_code

    assert chats(old_key) == 200
    new_key = rotate(server, app["id"], "native")
    assert new_key.startswith("cpk_")
    assert chats(old_key) == 401 and chats(new_key) == 200

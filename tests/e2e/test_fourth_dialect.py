"""A fourth dialect is a folder and one registration line.

The toy dialect in ``tests/e2e/toy_dialect/`` is built from the dialect shell alone (routes,
gateway, one error table). Registered beside the three vendors, it is served over HTTP by
uvicorn, pins through core, and the pin it makes is seen by Feishu; its errors come from its
own table and its refusals from the shared intake. Nothing outside its folder was changed.

(This test imports the server, unlike the other e2e tests: building the app with one more
dialect is the point.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from chatpins.app import DIALECTS, build_app
from chatpins.settings import Settings
from chatpins.storage.migrate import upgrade
from tests.e2e.live_server import ADMIN_KEY, free_port
from tests.e2e.toy_dialect import routes as toy

pytestmark = pytest.mark.sqlite


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('toy')) / 'toy.db'}"
    upgrade(url)
    settings = Settings(database_url=url, admin_key=ADMIN_KEY)
    app = build_app(settings, dialects=(*DIALECTS, toy.dialect))  # the registration line
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", http="h11")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the toy server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def world(base_url: str) -> Iterator[dict[str, Any]]:
    """A new app, a Feishu chat its bot created, and one message in it."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        app = http.post(
            "/v1/apps", json={"name": "toy"}, headers={"Authorization": f"Bearer {ADMIN_KEY}"}
        ).json()
        feishu = app["feishu"]
        token = http.post(
            "/open-apis/auth/v3/tenant_access_token/internal",
            json={"app_id": feishu["app_id"], "app_secret": feishu["app_secret"]},
        ).json()["tenant_access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        chat_id = http.post("/open-apis/im/v1/chats", json={"name": "toy"}, headers=bearer).json()[
            "data"
        ]["chat_id"]
        message_id = http.post(
            "/open-apis/im/v1/messages",
            params={"receive_id_type": "chat_id"},
            json={"receive_id": chat_id, "msg_type": "text", "content": '{"text": "hi"}'},
            headers=bearer,
        ).json()["data"]["message_id"]
        yield {
            "http": http,
            "key": {"X-Toy-Key": app["imkit"]["client_key"]},
            "bearer": bearer,
            "chat_id": chat_id,
            "message_id": message_id,
        }


def test_a_pin_made_through_the_fourth_dialect_is_listed_by_feishu(world: dict[str, Any]) -> None:
    http: httpx.Client = world["http"]
    reply = http.post("/toy/pins", json={"message_id": world["message_id"]}, headers=world["key"])
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"pinned": world["message_id"]}
    listed = http.get(
        "/open-apis/im/v1/pins", params={"chat_id": world["chat_id"]}, headers=world["bearer"]
    ).json()
    assert [p["message_id"] for p in listed["data"]["items"]] == [world["message_id"]]


def test_the_fourth_dialects_errors_come_from_its_own_table(world: dict[str, Any]) -> None:
    http: httpx.Client = world["http"]
    unknown = http.post("/toy/pins", json={"message_id": "om_nothing"}, headers=world["key"])
    assert (unknown.status_code, unknown.json()) == (404, {"error": "message_not_found"})
    stranger = http.post("/toy/pins", json={"message_id": "x"}, headers={"X-Toy-Key": "nope"})
    assert (stranger.status_code, stranger.json()) == (401, {"error": "unknown_key"})


def test_the_fourth_dialect_sits_behind_the_shared_intake(world: dict[str, Any]) -> None:
    http: httpx.Client = world["http"]
    deep = '{"message_id": ' + "[" * 100 + "]" * 100 + "}"
    reply = http.post("/toy/pins", content=deep, headers=world["key"])
    assert (reply.status_code, reply.json()) == (400, {"error": "too_deep"})
    huge = http.post("/toy/pins", content=b"x" * (1024 * 1024 + 1), headers=world["key"])
    assert (huge.status_code, huge.json()) == (400, {"error": "body_too_large"})
    listed = http.get(
        "/open-apis/im/v1/pins", params={"chat_id": world["chat_id"]}, headers=world["bearer"]
    ).json()
    assert listed["data"]["items"] == []

"""Declared state over the wire: `chatpins serve --load FILE` starts with the declared apps,
and the vendors' own clients work with the declared credentials; `chatpins load` and `dump`
as a user runs them."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from lark_oapi.api.im.v1 import ListPinRequest

from tests.databases import fresh_database
from tests.e2e import test_cli as cli
from tests.e2e.feishu_client import build_lark_client
from tests.e2e.live_server import ADMIN_KEY, ServerProcess, free_port
from tests.e2e.zim.client import Zim

POSTGRES_URL = os.environ.get("CHATPINS_TEST_POSTGRES_URL")


def declared(tag: str) -> dict[str, Any]:
    """Two chats of two dialects with pins in a declared order, and a user's pinned
    conversations; ids and credentials of this test's own (lark-oapi caches tokens by app id
    for the whole process)."""
    bot = f"cli_{tag}"
    return {
        "version": 1,
        "apps": [
            {
                "id": f"app_{tag}",
                "name": "declared e2e",
                "feishu": {"app_id": bot, "app_secret": f"feishu-{tag}"},
                "zim": {"app_id": 1 + int(tag[:7], 16), "server_secret": f"zim-{tag}"},
                "native": {"api_key": f"cpk_{tag}"},
                "users": [
                    {"id": "alice"},
                    {"id": "bob"},
                    {
                        "id": "carol",
                        "conversation_pins": [{"chat": "launch"}, {"chat": "oc_general"}],
                    },
                ],
                "chats": [
                    {
                        "id": "oc_general",
                        "dialect": "feishu",
                        "name": "General",
                        "members": [
                            {"user": "alice", "role": "owner"},
                            {"user": "bob"},
                            {"user": "carol"},
                            {"user": bot},
                        ],
                        "messages": [
                            {"id": f"om_{i}", "sender": "alice", "text": f"#{i}"} for i in range(4)
                        ],
                        "pins": [
                            {"message": "om_2", "pinned_by": "bob", "note": "top"},
                            {"message": "om_0", "pinned_by": "alice"},
                            {"message": "om_3", "pinned_by": "alice"},
                        ],
                    },
                    {
                        "id": "launch",
                        "dialect": "native",
                        "members": [{"user": "carol", "role": "owner"}, {"user": "alice"}],
                        "messages": [{"id": "plan", "sender": "carol", "text": "the plan"}],
                        "pins": [{"message": "plan", "pinned_by": "carol", "must_read": True}],
                    },
                ],
            }
        ],
    }


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite", marks=pytest.mark.sqlite),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own: the server loads the file into it."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'declared.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("CHATPINS_TEST_POSTGRES_URL not set")
    with fresh_database(POSTGRES_URL, "chatpins_e2e_declared") as url:
        yield url


def chatpins(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return cli.chatpins(*args, check=False, env=env)


def events_of(base_url: str, app_id: str) -> list[dict[str, Any]]:
    reply = httpx.get(
        f"{base_url}/v1/apps/{app_id}/events",
        params={"limit": 1000},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )
    assert reply.status_code == 200, reply.text
    return reply.json()["events"]


def test_serve_load_answers_with_the_declared_credentials(
    database_url: str, tmp_path: Path
) -> None:
    tag = secrets.token_hex(8)
    state = declared(tag)
    app = state["apps"][0]
    file = tmp_path / "chatpins.yaml"
    file.write_text(yaml.safe_dump(state, sort_keys=False))
    server = ServerProcess(database_url, tmp_path, extra_args=["--load", str(file)])
    server.start()
    try:
        lark = build_lark_client(server.base_url, app["feishu"]["app_id"], f"feishu-{tag}")
        listed = lark.im.v1.pin.list(ListPinRequest.builder().chat_id("oc_general").build())
        assert listed.code == 0, listed.msg
        # Feishu lists by pin time, newest first: the declared top pin reads as the newest.
        assert [p.message_id for p in listed.data.items] == ["om_2", "om_0", "om_3"]

        with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
            zim = Zim(server.base_url, app["zim"]["app_id"], f"zim-{tag}", http)
            assert sorted(zim.pinned("carol")) == ["launch", "oc_general"]
            forged = Zim(server.base_url, app["zim"]["app_id"], "not-the-secret", http)
            assert forged.call("QueryConversationList", {"FromUserId": "carol"})["Code"] != 0
            native = http.get(
                "/v1/chats/launch/pins", headers={"Authorization": f"Bearer cpk_{tag}"}
            )
            assert native.status_code == 200, native.text
            assert [p["message_id"] for p in native.json()["pins"]] == ["plan"]
            assert native.json()["pins"][0]["must_read"] is True

        written = events_of(server.base_url, app["id"])
        assert {"chat.created", "message.sent", "pin.created"} <= {e["type"] for e in written}
        server.restart()  # loads the file again: nothing changes, no event is written
        assert events_of(server.base_url, app["id"]) == written
    finally:
        server.stop()


def test_serve_refuses_to_start_on_a_bad_file(database_url: str, tmp_path: Path) -> None:
    state = declared(secrets.token_hex(8))
    state["apps"][0]["chats"][0]["pins"][1]["message"] = "om_9"
    file = tmp_path / "bad.yaml"
    file.write_text(yaml.safe_dump(state, sort_keys=False))
    assert chatpins("db", "upgrade", "--database-url", database_url).returncode == 0

    started = chatpins(
        *("serve", "--port", str(free_port()), "--database-url", database_url),
        *("--load", str(file)),
        env={"CHATPINS_ADMIN_KEY": ADMIN_KEY},  # production mode (PostgreSQL) asks for one first
    )

    assert started.returncode == 2
    assert f"{file}: apps[0].chats[0].pins[1].message: unknown message 'om_9'" in started.stderr


def test_load_then_dump_then_load_elsewhere(database_url: str, tmp_path: Path) -> None:
    state = declared(secrets.token_hex(8))
    file = tmp_path / "fixtures.json"
    file.write_text(json.dumps(state))
    assert chatpins("db", "upgrade", "--database-url", database_url).returncode == 0

    first = chatpins("load", str(file), "--database-url", database_url, "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["apps"][0]["created"] is True
    again = chatpins("load", str(file), "--database-url", database_url, "--json")
    assert json.loads(again.stdout)["apps"][0]["changes"] == {}

    app_id = state["apps"][0]["id"]
    dump = tmp_path / "dump.yaml"
    dumped = chatpins("dump", "--app", app_id, "--database-url", database_url, "--out", str(dump))
    assert dumped.returncode == 0, dumped.stderr
    elsewhere = f"sqlite+aiosqlite:///{tmp_path / 'elsewhere.db'}"
    assert chatpins("load", str(dump), "--database-url", elsewhere).returncode == 0
    redumped = chatpins("dump", "--app", app_id, "--database-url", elsewhere)
    assert redumped.stdout == dump.read_text()


def test_a_bad_file_exits_2_naming_each_bad_field(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text("apps:\n  - id: a\n    nmae: x\n")
    result = chatpins(
        "load", str(file), "--database-url", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {file}: apps[0].name: required",
        f"error: {file}: apps[0].nmae: unknown key",
    ]

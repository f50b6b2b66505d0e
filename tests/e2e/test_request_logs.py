"""Request logs in production: a server in production mode writes JSON (its default format),
one line per HTTP request with the request's id (also the reply's ``X-Request-Id``), the app
it acted for, the dialect and route template that served it, the method, the status and the
time taken; uvicorn's access line is not written beside it. A client's own ``X-Request-Id`` is
kept when short and plain, replaced otherwise. No credential reaches the log."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.e2e.live_server import ADMIN_KEY, Server, ServerProcess, admin_client, create_app
from tests.e2e.zim.client import Zim

pytestmark = pytest.mark.sqlite

HEADER = "X-Request-Id"
GENERATED = re.compile(r"[0-9a-f]{32}")


@dataclass
class Expected:
    """One request sent: the id its reply carried and what its log line must say."""

    request_id: str
    fields: dict[str, Any]


@dataclass
class Logged:
    text: str
    app_id: str
    expected: dict[str, Expected] = field(default_factory=dict)
    replaced: dict[str, tuple[str, str]] = field(default_factory=dict)  # name: (sent, got)
    secrets: dict[str, str] = field(default_factory=dict)

    def request_lines(self) -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in self.text.splitlines() if line.startswith("{")]
        return [line for line in lines if line.get("event") == "request"]


def _id(name: str) -> str:
    return f"{name}.{secrets.token_hex(6)}"


def _send(
    logged: Logged,
    http: httpx.Client,
    name: str,
    method: str,
    path: str,
    fields: dict[str, Any],
    **kwargs: Any,
) -> httpx.Response:
    """One request with its own safe id; its reply must carry that id back."""
    sent = _id(name)
    headers = {HEADER: sent, **kwargs.pop("headers", {})}
    reply = http.request(method, path, headers=headers, **kwargs)
    assert reply.headers.get(HEADER) == sent, (name, dict(reply.headers))
    logged.expected[name] = Expected(
        sent, {"method": method, "status": reply.status_code, **fields}
    )
    return reply


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logged]:
    tmp_dir = tmp_path_factory.mktemp("chatpins-request-logs")
    process = ServerProcess(
        f"sqlite+aiosqlite:///{tmp_dir / 'logs.db'}", tmp_dir, extra_args=["--mode", "production"]
    )
    process.start()
    try:
        server = Server("sqlite", process)
        with admin_client(server) as admin, httpx.Client(base_url=server.base_url) as http:
            app = create_app(admin, "request logs")
            result = Logged("", app["id"])
            _requests(result, server, http, app)
    finally:
        process.stop()  # every line is written once the process has exited
    result.text = process.log_path.read_text(errors="replace")
    yield result


def _requests(logged: Logged, server: Server, http: httpx.Client, app: dict[str, Any]) -> None:
    app_id = app["id"]
    native = {"dialect": "native"}
    _send(logged, http, "health", "GET", "/v1/health", {**native, "route": "/v1/health"})
    _send(logged, http, "unknown", "GET", "/v1/nowhere", {**native, "route": "unmatched"})
    api_key = app["native"]["api_key"]
    _send(
        logged,
        http,
        "native",
        "POST",
        "/v1/users",
        {**native, "app": app_id, "route": "/v1/users"},
        headers={"Authorization": f"Bearer {api_key}"},
        json={"id": "alice", "name": "Alice"},
    )
    # The admin key acts for no app.
    _send(
        logged,
        http,
        "admin",
        "GET",
        f"/v1/apps/{app_id}",
        {**native, "app": None, "route": "/v1/apps/{app_id}"},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )

    feishu = {"dialect": "feishu", "app": app_id, "route": "/open-apis/im/v1/pins"}
    token_route = "/open-apis/auth/v3/tenant_access_token/internal"
    credentials = {"app_id": app["feishu"]["app_id"], "app_secret": app["feishu"]["app_secret"]}
    issued = _send(
        logged,
        http,
        "feishu-token",
        "POST",
        token_route,
        {"dialect": "feishu", "app": None, "route": token_route},
        json=credentials,
    )
    token = issued.json()["tenant_access_token"]
    listed = _send(
        logged,
        http,
        "feishu",
        "GET",
        "/open-apis/im/v1/pins",
        feishu,
        headers={"Authorization": f"Bearer {token}"},
        params={"chat_id": "oc_unknown"},
    )
    assert listed.status_code == 400 and listed.headers.get("X-Tt-Logid")  # the vendor's own id

    imkit_key = app["imkit"]["api_key"]
    _send(
        logged,
        http,
        "imkit",
        "GET",
        "/rooms",
        {"dialect": "imkit", "app": app_id, "route": "/rooms", "status": 200},
        headers={"IM-API-KEY": imkit_key},
    )
    _send(
        logged,
        http,
        "imkit-refused",
        "GET",
        "/rooms",
        {"dialect": "imkit", "app": None, "route": "/rooms", "status": 401},
        headers={"IM-API-KEY": "not-a-key"},
    )

    zim_id = _id("zim")
    with httpx.Client(base_url=server.base_url, headers={HEADER: zim_id}) as zim_http:
        zim = Zim(server.base_url, app["zim"]["app_id"], app["zim"]["server_secret"], zim_http)
        params = zim.params("UserRegister")
        assert zim.raw(params, {"UserInfo": [{"UserId": "bob"}]})["Code"] == 0
    fields = {
        "method": "POST", "status": 200, "dialect": "zim", "app": app_id,
        "route": "/?Action=UserRegister",
    }  # fmt: skip
    logged.expected["zim"] = Expected(zim_id, fields)

    for name, sent in (("too long", "a" * 129), ("not plain", "two words"), ("quote", 'x"}')):
        reply = http.get("/v1/health", headers={HEADER: sent})
        logged.replaced[name] = (sent, reply.headers[HEADER])

    logged.secrets |= {
        "admin key": ADMIN_KEY,
        "native API key": api_key,
        "Feishu app secret": app["feishu"]["app_secret"],
        "Feishu tenant token": token,
        "IMKit API key": imkit_key,
        "ZIM Signature": params["Signature"],
        "ZIM SignatureNonce": params["SignatureNonce"],
    }


def test_each_request_has_one_json_line_with_its_id_app_dialect_and_route(logged: Logged) -> None:
    lines = logged.request_lines()
    for name, expected in logged.expected.items():
        mine = [line for line in lines if line.get("request_id") == expected.request_id]
        assert len(mine) == 1, (name, mine)
        line = mine[0]
        for key, value in expected.fields.items():
            assert line[key] == value, (name, key, line)
        assert line["app"] == expected.fields.get("app"), (name, line)
        assert isinstance(line["ms"], int | float) and line["ms"] >= 0, line
        assert line["level"] == "info" and line["timestamp"], line


def test_every_line_of_the_server_is_json_and_uvicorn_writes_no_access_line(
    logged: Logged,
) -> None:
    # The banner before the server starts is plain text; once uvicorn runs, every line is JSON.
    log = logged.text[logged.text.index('{"event": "Started server process') :]
    for line in log.splitlines():
        json.loads(line)
    assert 'HTTP/1.1"' not in logged.text


def test_a_safe_client_id_is_kept_and_any_other_replaced(logged: Logged) -> None:
    assert logged.expected["health"].request_id.startswith("health.")
    ids = {line["request_id"] for line in logged.request_lines()}
    for name, (sent, got) in logged.replaced.items():
        assert got != sent and GENERATED.fullmatch(got), (name, got)
        assert got in ids, name
        assert sent not in logged.text, name


def test_no_credential_appears_in_the_log(logged: Logged) -> None:
    leaked = [name for name, value in logged.secrets.items() if value in logged.text]
    assert not leaked, f"in the server log: {leaked}"
    zim = next(
        line
        for line in logged.request_lines()
        if line["request_id"] == logged.expected["zim"].request_id
    )
    assert "Signature=***" in zim["target"] and "SignatureNonce=***" in zim["target"], zim

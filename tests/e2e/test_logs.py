"""No credential reaches the server's log: a private server at debug level (so the WebSocket
handshakes are logged with their headers) is sent credentials every way the protocols allow —
``?access_token=`` on the stream (the documented option for browsers), the admin key as a
Bearer header and in the query, IMKit keys and tokens in headers, ZIM's signed query, other
credential-named parameters — then stopped, and its whole log is read."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from tests.e2e.events.client import open_stream, rejected
from tests.e2e.imkit.conftest import IMKit
from tests.e2e.live_server import ADMIN_KEY, Server, ServerProcess, admin_client, create_app
from tests.e2e.zim.client import Zim

pytestmark = pytest.mark.sqlite

MARKER = "***"
QUERY_SECRETS = ("access_token", "token", "api_key", "key", "secret", "app_secret")


@dataclass
class Logged:
    """The server's whole log, and the credentials that were sent to it."""

    text: str
    app_id: str
    secrets: dict[str, str] = field(default_factory=dict)


def _secret(name: str) -> str:
    return f"{name}-{secrets.token_hex(12)}"


async def _streams(base_url: str, app_id: str, user_token: str, unknown: str) -> None:
    for credential, in_query, params in (
        (ADMIN_KEY, True, {"app_id": app_id}),
        (ADMIN_KEY, False, {"app_id": app_id}),
        (user_token, True, {}),
        (user_token, False, {}),
    ):
        stream = await open_stream(base_url, credential, in_query=in_query, **params)
        await stream.close()
    closed = await rejected(base_url, unknown, in_query=True)
    assert closed.code == 4401


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logged]:
    tmp_dir = tmp_path_factory.mktemp("chatpins-logs")
    process = ServerProcess(
        f"sqlite+aiosqlite:///{tmp_dir / 'logs.db'}", tmp_dir, {"CHATPINS_LOG_LEVEL": "debug"}
    )
    process.start()
    try:
        server = Server("sqlite", process)
        with admin_client(server) as admin, httpx.Client(base_url=server.base_url) as http:
            app = create_app(admin, "logs")
            assert admin.get(f"/v1/apps/{app['id']}").status_code == 200
            imkit = IMKit(server.base_url, admin, app, http)
            imkit.user("alice")
            found = {name: _secret(name) for name in QUERY_SECRETS}
            reply = http.get("/v1/health", params=dict(found))
            assert reply.status_code == 200

            zim = Zim(server.base_url, app["zim"]["app_id"], app["zim"]["server_secret"], http)
            params = zim.params("UserRegister")
            assert zim.raw(params, {"UserInfo": [{"UserId": "bob"}]})["Code"] == 0
            found["Signature"] = params["Signature"]
            found["SignatureNonce"] = params["SignatureNonce"]

            found["unknown stream credential"] = _secret("unknown")
            asyncio.run(
                _streams(
                    server.base_url,
                    app["id"],
                    imkit.tokens["alice"],
                    found["unknown stream credential"],
                )
            )
            found |= {
                "admin key": ADMIN_KEY,
                "IMKit user token": imkit.tokens["alice"],
                "IMKit API key": imkit.api_key,
                "Feishu app secret": app["feishu"]["app_secret"],
            }
    finally:
        process.stop()  # every line is written once the process has exited
    yield Logged(process.log_path.read_text(errors="replace"), app["id"], found)


def test_no_credential_appears_in_the_log(logged: Logged) -> None:
    leaked = [name for name, value in logged.secrets.items() if value in logged.text]
    assert not leaked, f"in the server log: {leaked}"


def test_the_marker_stands_in_for_each_credential(logged: Logged) -> None:
    health = "/v1/health?" + "&".join(f"{name}={MARKER}" for name in QUERY_SECRETS)
    assert f'"GET {health} HTTP/1.1" 200' in logged.text
    assert f"SignatureNonce={MARKER}" in logged.text and f"Signature={MARKER}" in logged.text
    # Both the access log and the handshake's debug lines show the stream's path, redacted.
    assert f"/v1/events/ws?access_token={MARKER}&app_id={logged.app_id}" in logged.text
    assert f"authorization: {MARKER}" in logged.text.lower()


def test_requests_are_still_logged(logged: Logged) -> None:
    assert f'"GET /v1/apps/{logged.app_id} HTTP/1.1" 200' in logged.text
    assert '"WebSocket /v1/events/ws?access_token=***" [accepted]' in logged.text

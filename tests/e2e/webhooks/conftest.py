"""Webhook fixtures: an HTTP receiver in the test process, and servers tuned for quick retries.

The receiver is the standard library's threading HTTP server; what it answers is scripted per
path, and it records every request it gets. Signatures are checked with independent code: the
`standardwebhooks` package for native deliveries, lark-oapi's EventDispatcherHandler for Feishu.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.live_server import Server, ServerProcess, admin_client, create_app

# Retries every ~50 ms instead of 10 s. A test marked ``pause_after(n)`` has webhooks paused
# after n failures in a row (otherwise practically never).
QUICK_RETRIES = {
    "CHATPINS_WEBHOOK_POLL_SECONDS": "0.1",
    "CHATPINS_WEBHOOK_RETRY_SCALE": "0.005",
    "CHATPINS_WEBHOOK_PAUSE_AFTER": "1000",
    "CHATPINS_WEBHOOK_TIMEOUT_SECONDS": "2",
}
# The receivers listen on loopback: allowed explicitly, whatever the mode's default.
ALLOW_PRIVATE_TARGETS = {"CHATPINS_WEBHOOK_ALLOW_PRIVATE": "true"}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


# A responder gets (request, how many requests this path had before) and returns
# (status, body); it may block to play a slow endpoint.
Responder = Callable[[Received, int], tuple[int, bytes]]


@dataclass
class Receiver:
    base_url: str
    requests: list[Received] = field(default_factory=list)
    responders: dict[str, Responder] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return self.base_url + path

    def on(self, path: str, responder: Responder) -> None:
        self.responders[path] = responder

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.05)
        raise AssertionError("condition not met in time")


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            got = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            with receiver.lock:
                before = sum(1 for r in receiver.requests if r.path == self.path)
                receiver.requests.append(got)
            responder = receiver.responders.get(self.path, lambda _r, _n: (200, b"{}"))
            status, reply = responder(got, before)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Receiver("")))
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


def _start(
    database_url: str, tmp: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> ServerProcess:
    for name, value in QUICK_RETRIES.items():
        monkeypatch.setenv(name, value)
    marker = request.node.get_closest_marker("pause_after")
    if marker is not None:
        monkeypatch.setenv("CHATPINS_WEBHOOK_PAUSE_AFTER", str(marker.args[0]))
    process = ServerProcess(database_url, tmp, extra_env=ALLOW_PRIVATE_TARGETS)
    process.start()
    return process


@pytest.fixture
def quick_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Server]:
    """A private SQLite server whose webhooks retry within milliseconds."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'hooks.db'}"
    process = _start(url, tmp_path, monkeypatch, request)
    try:
        yield Server("sqlite", process)
    finally:
        process.stop()


@dataclass
class HookApp:
    """One app on a server, with its admin client and IMKit platform client to make events."""

    admin: httpx.Client
    app: dict[str, Any]
    imkit: httpx.Client

    @property
    def id(self) -> str:
        return self.app["id"]

    def add_webhook(self, **body: Any) -> dict[str, Any]:
        reply = self.admin.post(f"/v1/apps/{self.id}/webhooks", json=body)
        assert reply.status_code == 201, reply.text
        return reply.json()

    def webhook(self, webhook_id: str) -> dict[str, Any]:
        reply = self.admin.get(f"/v1/apps/{self.id}/webhooks/{webhook_id}")
        assert reply.status_code == 200, reply.text
        return reply.json()

    def deliveries(self, webhook_id: str, **params: Any) -> list[dict[str, Any]]:
        reply = self.admin.get(
            f"/v1/apps/{self.id}/webhooks/{webhook_id}/deliveries", params=params
        )
        assert reply.status_code == 200, reply.text
        return reply.json()["deliveries"]

    def make_events(self, count: int, room: str = "room-1") -> None:
        """``count`` events: a user, a room, then messages sent into it by the platform."""
        assert count >= 2
        assert (
            self.imkit.post("/admin/clients", json={"_id": "u1", "nickname": "U1"}).json()["RC"]
            == 0
        )
        body = {"_id": room, "name": room, "owner": "u1", "members": []}
        assert self.imkit.post("/rooms", json=body).json()["RC"] == 0
        for i in range(count - 1):
            message = {"room": room, "message": f"m{i}", "messageType": "text", "sender": "u1"}
            reply = self.imkit.post("/messages", json=message)
            assert reply.json()["RC"] == 0, reply.text


def hook_app(server: Server) -> HookApp:
    admin = admin_client(server)
    app = create_app(admin, "webhooks")
    imkit = httpx.Client(
        base_url=server.base_url, headers={"IM-API-KEY": app["imkit"]["api_key"]}, timeout=30.0
    )
    return HookApp(admin, app, imkit)

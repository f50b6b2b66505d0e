"""Webhook targets over HTTP (SSRF): private, link-local, metadata and the server's own address
are refused at registration in every spelling, a name is judged each time it is delivered to,
redirects are not followed, and the delivery log keeps a reply's status and size, never its
body."""

from __future__ import annotations

import ipaddress
import json
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.databases import fresh_database
from tests.e2e.live_server import Server, ServerProcess, database_url_for
from tests.e2e.test_cli import chatpins
from tests.e2e.webhooks.conftest import QUICK_RETRIES, HookApp, Received, Receiver, hook_app

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

LOOPBACK = ["127.0.0.0/8", "::1/128"]
PRIVATE = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
]
ALWAYS_REFUSED = ["0.0.0.0/8", "224.0.0.0/4", "::/128"]
REFUSED = "target address refused"


def _address_in(network: str) -> st.SearchStrategy[IPAddress]:
    net = ipaddress.ip_network(network)
    first, last = int(net.network_address), int(net.broadcast_address)
    return st.integers(first, last).map(ipaddress.ip_address)


def _spelled(address: IPAddress) -> st.SearchStrategy[str]:
    """The address as a URL host, in one of the spellings a resolver reads as that address."""
    if isinstance(address, ipaddress.IPv6Address):
        return st.just(f"[{address}]")
    n, parts = int(address), address.packed
    return st.sampled_from(
        [
            str(address),
            str(n),  # 2130706433
            hex(n),  # 0x7f000001
            "0" + format(n, "o"),  # 017700000001
            ".".join(hex(p) for p in parts),
            f"{parts[0]}.{n & 0xFFFFFF}",  # 127.1
            f"[::ffff:{address}]",  # IPv4-mapped IPv6
        ]
    )


def _refused_urls(networks: list[str]) -> st.SearchStrategy[str]:
    hosts = st.sampled_from(networks).flatmap(_address_in).flatmap(_spelled)
    return st.builds(
        lambda scheme, host, port, path: f"{scheme}://{host}{port}/{path}",
        st.sampled_from(["http", "https"]),
        hosts,
        st.sampled_from(["", ":80", ":8080", ":6379"]),
        st.sampled_from(["", "hook", "latest/meta-data/iam"]),
    )


# --------------------------------------------------------------------------- servers per policy


def _serve(database_url: str, tmp: Path, **env: str) -> Iterator[Server]:
    process = ServerProcess(database_url, tmp, extra_env={**QUICK_RETRIES, **env})
    process.start()
    try:
        yield Server("sqlite" if database_url.startswith("sqlite") else "postgres", process)
    finally:
        process.stop()


@pytest.fixture(scope="module", params=[pytest.param("local", marks=pytest.mark.sqlite)])
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Local mode as shipped (SQLite, no setting): loopback receivers only."""
    tmp = tmp_path_factory.mktemp("targets-local")
    yield from _serve(f"sqlite+aiosqlite:///{tmp / 'local.db'}", tmp)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite-refusing", marks=pytest.mark.sqlite),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ],
)
def strict_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """No private target at all: SQLite with CHATPINS_WEBHOOK_ALLOW_PRIVATE=false, and
    production mode as shipped (PostgreSQL, no setting)."""
    tmp = tmp_path_factory.mktemp("targets-strict")
    if request.param == "postgres":
        # A database of its own: every server on a database delivers all of its webhooks, and
        # the shared test server allows private targets.
        with fresh_database(database_url_for("postgres", tmp), "chatpins_targets") as url:
            yield from _serve(url, tmp)
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'strict.db'}"
        yield from _serve(url, tmp, CHATPINS_WEBHOOK_ALLOW_PRIVATE="false")


def _hooks(app: HookApp) -> list[dict[str, Any]]:
    reply = app.admin.get(f"/v1/apps/{app.id}/webhooks")
    assert reply.status_code == 200, reply.text
    return reply.json()["webhooks"]


def _refused(reply: httpx.Response) -> None:
    assert reply.status_code == 400, reply.text
    error = reply.json()["error"]
    assert error["code"] == "webhook_target_refused", reply.text
    assert error["message"].startswith(REFUSED), reply.text


def _registration_refuses(app: HookApp, url: str) -> None:
    """A refused URL: not created, and not accepted as a change of an existing webhook."""
    before = _hooks(app)
    _refused(app.admin.post(f"/v1/apps/{app.id}/webhooks", json={"url": url}))
    existing = before[0]["id"]
    path = f"/v1/apps/{app.id}/webhooks/{existing}"
    _refused(app.admin.patch(path, json={"url": url}))
    assert _hooks(app) == before


def _app_with_one_public_hook(server: Server) -> HookApp:
    """An app with a webhook whose URL the refused ones try to replace. It gets no events, so
    its name is never looked up."""
    app = hook_app(server)
    app.add_webhook(url="https://hooks.example.com/events")
    return app


def _wait_for_attempts(receiver: Receiver, app: HookApp, hook_id: str, events: int) -> list[dict]:
    """The webhook's deliveries once each of ``events`` has been tried at least twice."""

    def tried() -> bool:
        found = app.deliveries(hook_id)
        return len(found) == events and all(d["attempts"] >= 2 for d in found)

    receiver.wait_for(tried)
    return app.deliveries(hook_id)


# --------------------------------------------------------------------------- registration


@pytest.fixture(scope="module")
def local_app(local_server: Server) -> HookApp:
    """One app for every generated example (a function-scoped one would be made per example)."""
    return _app_with_one_public_hook(local_server)


@pytest.fixture(scope="module")
def strict_app(strict_server: Server) -> HookApp:
    return _app_with_one_public_hook(strict_server)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(url=_refused_urls(PRIVATE + ALWAYS_REFUSED))
def test_local_mode_refuses_private_link_local_and_metadata_targets(
    local_app: HookApp, url: str
) -> None:
    _registration_refuses(local_app, url)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(url=_refused_urls(LOOPBACK + PRIVATE + ALWAYS_REFUSED))
def test_strict_mode_refuses_every_non_public_target(strict_app: HookApp, url: str) -> None:
    _registration_refuses(strict_app, url)


def test_the_server_itself_is_refused_even_where_loopback_is_allowed(
    local_server: Server, receiver: Receiver
) -> None:
    app = hook_app(local_server)
    loopback = app.add_webhook(url=receiver.url("/local"))  # loopback: this mode's default
    port = local_server.process.port
    for host in ("127.0.0.1", "2130706433", "0x7f.1", "[::ffff:127.0.0.1]"):
        _registration_refuses(app, f"http://{host}:{port}/v1/apps")
    # A name for the server passes registration and is refused when delivered to.
    hook = app.add_webhook(url=f"http://localhost:{port}/v1/apps")
    app.make_events(2)
    for delivery in _wait_for_attempts(receiver, app, hook["id"], 2):
        assert delivery["status"] == "pending" and delivery["last_status_code"] is None
        assert delivery["last_error"] == f"{REFUSED}: localhost resolves to this server"
    receiver.wait_for(
        lambda: [d["status"] for d in app.deliveries(loopback["id"])] == ["delivered"] * 2
    )
    assert len(receiver.at("/local")) == 2


def test_the_command_line_applies_the_same_policy(local_server: Server) -> None:
    app = hook_app(local_server)
    db = ["--database-url", local_server.process.database_url]
    url = "http://0xa9fea9fe/latest/meta-data/"  # 169.254.169.254
    refused = chatpins("webhooks", "add", "--app", app.id, "--url", url, *db, check=False)
    assert refused.returncode != 0
    assert "webhook_target_refused" in refused.stdout + refused.stderr
    assert _hooks(app) == []


# --------------------------------------------------------------------------- delivery


def test_a_name_that_resolves_to_a_refused_address_is_never_delivered_to(
    strict_server: Server, receiver: Receiver
) -> None:
    app = hook_app(strict_server)
    url = receiver.url("/named").replace("127.0.0.1", "localhost")
    hook = app.add_webhook(url=url)  # a name: accepted, judged at each delivery
    app.make_events(3)
    for delivery in _wait_for_attempts(receiver, app, hook["id"], 3):
        assert delivery["status"] == "pending" and delivery["last_status_code"] is None
        for attempt in delivery["attempt_log"]:
            assert attempt["status_code"] is None
            assert attempt["error"] == f"{REFUSED}: localhost resolves to a loopback address"
    assert receiver.requests == []


def test_the_delivery_log_keeps_status_and_size_but_never_the_reply(
    local_server: Server, receiver: Receiver
) -> None:
    marker = "internal-" + secrets.token_hex(8)
    sizes = {"failure": 1 + secrets.randbelow(4000), "success": 1 + secrets.randbelow(4000)}

    def reply(kind: str) -> bytes:
        return (marker + " " + "x" * sizes[kind])[: sizes[kind]].encode()

    # Each event's first attempt gets a 500, the second a 200; both replies carry the marker.
    def chatty(request: Received, _before: int) -> tuple[int, bytes]:
        event = request.headers["webhook-id"]
        attempt = sum(1 for r in receiver.at("/chatty") if r.headers["webhook-id"] == event)
        return (500, reply("failure")) if attempt == 1 else (200, reply("success"))

    receiver.on("/chatty", chatty)
    app = hook_app(local_server)
    hook = app.add_webhook(url=receiver.url("/chatty"))
    app.make_events(2)
    receiver.wait_for(
        lambda: [d["status"] for d in app.deliveries(hook["id"])] == ["delivered"] * 2
    )
    for delivery in app.deliveries(hook["id"]):
        log = delivery["attempt_log"]
        assert [a["status_code"] for a in log] == [500, 200]
        assert log[0]["error"] == f"HTTP 500, {sizes['failure']} bytes"
        assert log[1]["error"] is None and delivery["last_error"] is None
    everything = json.dumps(app.deliveries(hook["id"])) + json.dumps(app.webhook(hook["id"]))
    assert marker not in everything and "xxxx" not in everything


class _Redirector:
    """Answers every POST with a 307 to ``location(path)``, and records the paths it got."""

    def __init__(self, location: dict[str, str]) -> None:
        self.paths: list[str] = []
        redirector = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("content-length", 0)))
                redirector.paths.append(self.path)
                self.send_response(307)
                self.send_header("Location", location[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def redirector_to(receiver: Receiver, local_server: Server) -> Iterator[_Redirector]:
    redirector = _Redirector(
        {
            "/to-metadata": "http://169.254.169.254/latest/meta-data/",
            "/to-server": f"http://127.0.0.1:{local_server.process.port}/v1/apps",
            "/to-allowed": receiver.url("/landing"),  # even an allowed target is not followed
        }
    )
    yield redirector
    redirector.close()


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(
    local_server: Server, receiver: Receiver, redirector_to: _Redirector
) -> None:
    app = hook_app(local_server)
    hooks = [
        app.add_webhook(url=redirector_to.base_url + path)
        for path in ("/to-metadata", "/to-server", "/to-allowed")
    ]
    app.make_events(2)
    for hook in hooks:
        for delivery in _wait_for_attempts(receiver, app, hook["id"], 2):
            assert delivery["status"] == "pending"
            assert {a["status_code"] for a in delivery["attempt_log"]} == {307}
            assert delivery["last_error"] == "HTTP 307, redirect not followed"
    assert receiver.at("/landing") == []

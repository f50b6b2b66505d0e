"""The metrics an operator watches in production: each moves when its cause happens, and only
then. A pin moves ``chatpins_pins_changed_total`` and ``chatpins_events_written_total``; a
refused one moves neither. An event sent on a WebSocket or to a webhook moves
``chatpins_events_delivered_total`` and the lag histogram; a request over a rate limit moves
``chatpins_rate_limited_total`` of its dialect. The database pool is reported.

A private server, so that nothing else moves its counters (its sweeper, another test's
webhooks); it runs with ``--log-format json`` (a local server, which would log for a person by
default), and its log is read once at the end.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.e2e.events.client import open_stream
from tests.e2e.feishu_client import Feishu, build_lark_client
from tests.e2e.live_server import ADMIN_KEY, Server, ServerProcess, admin_client, create_app
from tests.e2e.native.client import NativeApp

pytestmark = pytest.mark.sqlite

Series = dict[tuple[str, frozenset[tuple[str, str]]], float]
_LINE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
WAIT_S = 30.0


class Scraper:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def scrape(self) -> Series:
        text = httpx.get(self.base_url + "/metrics", timeout=30.0).text
        found: Series = {}
        for line in text.splitlines():
            match = _LINE.match(line)
            if match is not None:
                labels = frozenset(_LABEL.findall(match["labels"] or ""))
                found[(match["name"], labels)] = float(match["value"])
        return found

    def wait_until(self, ready: Callable[[Series], bool]) -> Series:
        """The metrics once ``ready`` holds: a delivery is counted just after it is done."""
        deadline = time.monotonic() + WAIT_S
        while True:
            now = self.scrape()
            if ready(now) or time.monotonic() > deadline:
                return now
            time.sleep(0.05)


def value(series: Series, name: str, **labels: str) -> float:
    return series.get((name, frozenset(labels.items())), 0.0)


def family(series: Series, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: v for (n, labels), v in series.items() if n == name}


@pytest.fixture(scope="module")
def process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp_dir = tmp_path_factory.mktemp("chatpins-metrics")
    process = ServerProcess(
        f"sqlite+aiosqlite:///{tmp_dir / 'metrics.db'}",
        tmp_dir,
        extra_env={"CHATPINS_WEBHOOK_POLL_SECONDS": "0.1"},
        extra_args=["--log-format", "json"],
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def server(process: ServerProcess) -> Server:
    return Server("sqlite", process)


@pytest.fixture
def metrics(server: Server) -> Scraper:
    return Scraper(server.base_url)


@pytest.fixture
def feishu(server: Server, request: pytest.FixtureRequest) -> Iterator[Feishu]:
    with admin_client(server) as admin:
        app = create_app(admin, f"metrics {request.node.name}")
        # Setup here never depends on how fast it runs: the tests that want a limit set one.
        limits = {"api_rate_per_second": 0, "api_rate_per_minute": 0}
        assert admin.patch(f"/v1/apps/{app['id']}", json=limits).status_code == 200
        client = build_lark_client(
            server.base_url, app["feishu"]["app_id"], app["feishu"]["app_secret"]
        )
        yield Feishu(server.base_url, admin, app, client)


def test_a_pin_moves_pins_changed_and_events_written_and_a_refused_one_nothing(
    feishu: Feishu, metrics: Scraper, server: Server
) -> None:
    chat_id, message_id = feishu.chat_with_message()
    before = metrics.scrape()
    feishu.pin_ok(message_id)  # lark-oapi
    pinned = metrics.scrape()
    assert value(pinned, "chatpins_pins_changed_total", action="added") == (
        value(before, "chatpins_pins_changed_total", action="added") + 1
    )
    assert value(pinned, "chatpins_events_written_total", type="pin.created") == (
        value(before, "chatpins_events_written_total", type="pin.created") + 1
    )

    feishu.expect_error(feishu.pin("om_unknown"), 230001)
    native = NativeApp(server.base_url, feishu.admin, feishu.app)
    refused = native.api.unpin_request(chat_id, "om_unknown")
    assert refused.status_code == 404, refused.text
    unchanged = metrics.scrape()
    for name in ("chatpins_pins_changed_total", "chatpins_events_written_total"):
        assert family(unchanged, name) == family(pinned, name), name

    native.api.unpin(chat_id, message_id)
    native.api.close()
    unpinned = metrics.scrape()
    assert value(unpinned, "chatpins_pins_changed_total", action="removed") == (
        value(pinned, "chatpins_pins_changed_total", action="removed") + 1
    )
    assert value(unpinned, "chatpins_events_written_total", type="pin.deleted") == (
        value(pinned, "chatpins_events_written_total", type="pin.deleted") + 1
    )


def test_a_request_over_a_rate_limit_is_counted_and_changes_nothing(
    feishu: Feishu, metrics: Scraper
) -> None:
    chat_id, first = feishu.chat_with_message()
    second = feishu.send_text(chat_id)
    feishu.tenant_token()
    feishu.patch_app(api_rate_per_minute=1)  # per endpoint: one pin a minute
    before = metrics.scrape()
    feishu.pin_ok(first)
    feishu.expect_error(feishu.pin(second), 99991400, status=429)
    after = metrics.scrape()
    assert value(after, "chatpins_rate_limited_total", dialect="feishu") == (
        value(before, "chatpins_rate_limited_total", dialect="feishu") + 1
    )
    assert value(after, "chatpins_rate_limited_total", dialect="imkit") == value(
        before, "chatpins_rate_limited_total", dialect="imkit"
    )
    # Only the pin that passed counts.
    assert value(after, "chatpins_pins_changed_total", action="added") == (
        value(before, "chatpins_pins_changed_total", action="added") + 1
    )


def test_an_event_sent_on_a_websocket_is_counted_with_its_lag(
    feishu: Feishu, metrics: Scraper, server: Server
) -> None:
    _chat_id, message_id = feishu.chat_with_message()

    async def stream_one_pin() -> None:
        stream = await open_stream(server.base_url, ADMIN_KEY, app_id=feishu.app["id"])
        try:
            feishu.pin_ok(message_id)
            event = await stream.next_event()
            assert event["event"]["type"] == "pin.created", event
        finally:
            await stream.close()

    name, labels = (
        "chatpins_events_delivered_total",
        {"channel": "websocket", "outcome": "delivered"},
    )
    before = metrics.scrape()
    asyncio.run(stream_one_pin())
    # Counted once the server's send returned, which may be just after the client read it.
    after = metrics.wait_until(
        lambda now: value(now, name, **labels) > value(before, name, **labels)
    )
    assert value(after, name, **labels) == value(before, name, **labels) + 1
    lag = "chatpins_event_lag_seconds_count"
    assert value(after, lag, channel="websocket") == value(before, lag, channel="websocket") + 1


class _Receiver(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def receiver_url() -> Iterator[str]:
    http = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_address[1]}/hook"
    http.shutdown()
    http.server_close()


def test_a_webhook_delivery_is_counted_with_its_lag(
    feishu: Feishu, metrics: Scraper, receiver_url: str
) -> None:
    chat_id, message_id = feishu.chat_with_message()
    body = {"url": receiver_url, "event_types": ["pin.created"]}
    reply = feishu.admin.post(f"/v1/apps/{feishu.app['id']}/webhooks", json=body)
    assert reply.status_code == 201, reply.text
    name, labels = "chatpins_events_delivered_total", {"channel": "webhook", "outcome": "delivered"}
    before = metrics.scrape()
    assert value(before, name, **labels) == 0  # this server's first webhook
    feishu.pin_ok(message_id)
    after = metrics.wait_until(lambda now: value(now, name, **labels) >= 1)
    assert value(after, name, **labels) == 1
    assert value(after, "chatpins_event_lag_seconds_count", channel="webhook") == 1
    for outcome in ("retrying", "failed", "error"):
        assert value(after, name, channel="webhook", outcome=outcome) == 0, outcome


def test_the_database_pool_is_reported(metrics: Scraper) -> None:
    now = metrics.scrape()
    assert value(now, "chatpins_db_pool_size") > 0
    assert ("chatpins_db_pool_checked_out", frozenset()) in now


def test_log_format_json_makes_a_local_server_log_a_json_line_per_request(
    process: ServerProcess,
) -> None:
    sent = "scrape.check-1"
    reply = httpx.get(process.base_url + "/metrics", headers={"X-Request-Id": sent})
    assert reply.headers["X-Request-Id"] == sent
    process.stop()  # a request's line is written once it is answered: all are, at exit
    try:
        log = process.log_path.read_text(errors="replace").splitlines()
    finally:
        process.start()
    lines = [json.loads(line) for line in log if sent in line]
    assert [(line["route"], line["status"], line["dialect"]) for line in lines] == [
        ("/metrics", 200, "native")
    ]
    assert not [line for line in log if 'HTTP/1.1"' in line]

"""The event stream (``/v1/events/ws``) under 1,000 subscribers, in one server run (SQLite):

1. **idle memory**: the server's RSS after start-up and a warm-up with no stream open, then with
   1,000 idle app-level subscribers (every ``hello`` received, a few seconds' settle);
2. **fan-out latency**: then, over the same connections, IMKit messages (one ``message.sent``
   event each) at 5, 10 and 20 per second, each posted on schedule whatever the replies (an
   open loop); for every (subscriber, event) pair, receive time minus ``created_at_ms``.

The server runs on the server core; subscribers and producer are one asyncio process
(``bench.subscribers``) on the loader core. ``created_at_ms`` is read at the start of the send
use case, before its transaction commits, so the latency slightly over-states commit → receipt.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from bench import processes
from bench.loader import LOADER_CPU
from bench.scenarios import ADMIN_KEY, Plan, Series, unlimited_app

SUBSCRIBERS = 1000
# (events per second, events): one measured step each, over the same connections.
STEPS = ((5, 100), (10, 200), (20, 200), (40, 400))
SETTLE_S = 5.0
WARM_UP_MESSAGES = 20
WARM_UP_STREAMS = 10
# The targets.
FANOUT_P99_TARGET_MS = 200.0
IDLE_RSS_TARGET_MIB = 150.0
ROOM, SENDER = "fanout", "producer"


def provision(base_url: str) -> dict[str, Any]:
    """An app with its platform limits off, a user and a room it owns; the app's JSON."""
    app = unlimited_app(base_url, "bench events")
    api = httpx.Client(base_url=base_url, headers={"IM-API-KEY": app["imkit"]["api_key"]})
    api.post("/admin/clients", json={"_id": SENDER, "nickname": "Producer"}).raise_for_status()
    api.post(
        "/rooms", json={"_id": ROOM, "name": "Fan-out", "owner": SENDER, "members": []}
    ).raise_for_status()
    return app


def warm_up(base_url: str, api_key: str) -> None:
    """Run every code path once (sends, stream opens) so RSS at rest includes them."""
    with httpx.Client(base_url=base_url, headers={"IM-API-KEY": api_key}) as api:
        for i in range(WARM_UP_MESSAGES):
            body = {"room": ROOM, "sender": SENDER, "message": f"warm {i}", "messageType": "text"}
            api.post("/messages", json=body).raise_for_status()
    url = base_url.replace("http://", "ws://", 1) + "/v1/events/ws?after=0"
    for _ in range(WARM_UP_STREAMS):
        with connect(url, additional_headers={"Authorization": f"Bearer {api_key}"}) as ws:
            frames = [json.loads(ws.recv(timeout=10)) for _ in range(WARM_UP_MESSAGES + 1)]
            assert frames[0]["type"] == "hello" and frames[-1]["type"] == "event", frames[-1]


class Subscribers:
    """``python -m bench.subscribers`` on the loader core, driven over its stdin/stdout."""

    def __init__(self, config: dict[str, Any], log: Path):
        self.argv = ["taskset", "-c", LOADER_CPU, sys.executable, "-m", "bench.subscribers",
                     json.dumps(config)]  # fmt: skip
        self.log = log

    def __enter__(self) -> Subscribers:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                self.argv, cwd=processes.ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=log, text=True,
            )  # fmt: skip
        return self

    def expect(self, phase: str) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"bench.subscribers ended:\n{self.log.read_text()[-3000:]}")
        message = json.loads(line)
        if message.get("phase") != phase:
            raise RuntimeError(f"expected {phase!r} from bench.subscribers, got {message}")
        return message

    def tell(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def __exit__(self, *_exc: object) -> None:
        if self.proc.poll() is None:
            self.tell("close")
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _raise_open_files() -> None:
    """1,000 sockets each side: the server (our child) inherits this limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _log_since(log: Path, offset: int) -> list[str]:
    """What the server logged after start-up (its banner, with the demo app's secrets, is
    before ``offset``). It logs at ``warning``, so any line here is worth a look."""
    with log.open("rb") as f:
        f.seek(offset)
        text = f.read().decode(errors="replace")
    return [line for line in text.splitlines() if line.strip()][:20]


def event_stream(plan: Plan, database_url: str) -> list[Series]:
    _raise_open_files()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    with processes.chatpins(port, database_url, ADMIN_KEY) as server:
        log_start = server.log.stat().st_size
        app = provision(base)
        api_key = app["imkit"]["api_key"]
        warm_up(base, api_key)
        time.sleep(1.0)
        rss_empty = server.rss_mib()
        config = {
            "ws_url": base.replace("http://", "ws://", 1) + "/v1/events/ws",
            "base_url": base, "api_key": api_key, "room": ROOM, "sender": SENDER,
            "subscribers": SUBSCRIBERS,
        }  # fmt: skip
        with Subscribers(config, plan.workdir / "subscribers.log") as loader:
            connected = loader.expect("connected")
            time.sleep(SETTLE_S)
            rss_idle = server.rss_mib()
            steps = []
            for rate, events in STEPS:
                cpu = server.cpu_seconds()
                loader.tell(f"produce {rate} {events}")
                done = loader.expect("done")
                del done["phase"]
                cpu_share = (server.cpu_seconds() - cpu) / done["seconds"]
                steps.append({**done, "server_cpu_share": round(cpu_share, 2)})
            rss_after, rss_peak = server.rss_mib(), server.rss_mib("VmHWM")
        problems = _log_since(server.log, log_start)
    connections = connected["subscribers"]
    per_connection_kib = (rss_idle - rss_empty) * 1024 / connections if connections else None
    return [
        Series(
            f"chatpins event fan-out, {SUBSCRIBERS:,} WebSocket subscribers (SQLite)",
            "events_fanout",
            extra={
                "started": started,
                "subscribers": connections,
                "connect_seconds": connected["seconds"],
                "connect_failed": connected["failed"],
                "connect_errors": connected["errors"],
                "steps": steps,
                "target_p99_ms": FANOUT_P99_TARGET_MS,
                "server_log": problems,
            },
        ),  # fmt: skip
        Series(
            f"chatpins RSS, {SUBSCRIBERS:,} idle WebSocket subscribers (SQLite)",
            "events_idle_rss",
            extra={
                "started": started,
                "subscribers": connections,
                "server_pid": server.proc.pid,
                "rss_mib_no_streams": round(rss_empty, 1),
                "rss_mib_idle": round(rss_idle, 1),
                "kib_per_connection": round(per_connection_kib, 1)
                if per_connection_kib is not None
                else None,
                "rss_mib_after_fanout": round(rss_after, 1),
                "rss_mib_peak": round(rss_peak, 1),
                "target_mib": IDLE_RSS_TARGET_MIB,
            },
        ),  # fmt: skip
    ]

"""Several identical `chatpins serve` instances on one PostgreSQL database and one Redis, as
behind a load balancer, and the views a test takes of one app through each of them.

Only HTTP is used here: nothing of the ``chatpins`` package is imported.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

from tests.e2e.feishu_client import Feishu, build_lark_client
from tests.e2e.imkit.conftest import IMKit
from tests.e2e.live_server import ADMIN_KEY, ServerProcess, create_app
from tests.e2e.native.client import Native
from tests.e2e.zim.client import Zim
from tests.redis_server import PrivateRedis

PGBOUNCER_URL_ENV = "CHATPINS_TEST_PGBOUNCER_URL"
# The app-wide pacing limits turned off (0), for tests whose load is not about them.
NO_PACING = {"api_rate_per_second": 0, "api_rate_per_minute": 0, "message_rate_per_second": 0}
# How long a condition polled for may take (a sweep, a restarted Redis being noticed).
WAIT_S = 20.0
# Instances start together, each importing the whole server: allow for a busy machine.
STARTUP_TIMEOUT_S = 90.0

T = TypeVar("T")


def wait_for(condition: Callable[[], T], what: str, timeout_s: float = WAIT_S) -> T:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.05)


def through_pgbouncer(direct_url: str) -> str:
    """The URL instances serve on: the direct one, or — when ``CHATPINS_TEST_PGBOUNCER_URL``
    names a PgBouncer — the same database through it (its scheme, credentials, host, port and
    query; the database name of ``direct_url``)."""
    bouncer = os.environ.get(PGBOUNCER_URL_ENV)
    if not bouncer:
        return direct_url
    direct, pooled = urlsplit(direct_url), urlsplit(bouncer)
    # The PgBouncer URL carries ``?pgbouncer=true``, which tells the server (docs/scaling.md).
    return urlunsplit((pooled.scheme, pooled.netloc, direct.path, pooled.query, ""))


@dataclass
class Instance:
    """One running server, with an admin session and the clients opened on it."""

    name: str
    process: ServerProcess
    admin: httpx.Client = field(init=False)
    _opened: list[httpx.Client] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.admin = self._client({"Authorization": f"Bearer {ADMIN_KEY}"})

    @property
    def base_url(self) -> str:
        return self.process.base_url

    def _client(self, headers: dict[str, str] | None = None) -> httpx.Client:
        client = httpx.Client(base_url=self.base_url, headers=headers or {}, timeout=30.0)
        self._opened.append(client)
        return client

    def readyz(self) -> httpx.Response:
        return httpx.get(self.base_url + "/readyz", timeout=10.0)

    def metrics(self) -> str:
        reply = httpx.get(self.base_url + "/metrics", timeout=10.0)
        assert reply.status_code == 200, reply.text
        return reply.text

    # ---- one app through this instance, in each API
    def feishu(self, app: dict[str, Any]) -> Feishu:
        """The app through lark-oapi on this instance. The SDK caches tenant tokens per app_id
        for the whole process: both instances' clients share one, valid on either."""
        client = build_lark_client(
            self.base_url, app["feishu"]["app_id"], app["feishu"]["app_secret"]
        )
        return Feishu(self.base_url, self.admin, app, client)

    def native(self, app: dict[str, Any]) -> Native:
        native = Native(self.base_url, app["native"]["api_key"])
        self._opened.append(native.http)
        return native

    def imkit(self, app: dict[str, Any]) -> IMKit:
        return IMKit(self.base_url, self.admin, app, self._client())

    def zim(self, app: dict[str, Any]) -> Zim:
        return Zim(self.base_url, app["zim"]["app_id"], app["zim"]["server_secret"], self._client())

    def close(self) -> None:
        for client in self._opened:
            client.close()
        self.admin.close()


@dataclass
class Cluster:
    """One fresh database, migrated through ``direct_url``, which every pair of instances
    shares; they reach it through ``serve_url`` (PgBouncer when configured)."""

    direct_url: str
    log_dir: Path
    serve_url: str = field(init=False)

    def __post_init__(self) -> None:
        self.serve_url = through_pgbouncer(self.direct_url)

    def env(self, redis: PrivateRedis) -> dict[str, str]:
        return {
            "CHATPINS_REDIS_URL": redis.url,
            "CHATPINS_TEST_CONTROLS": "true",
            "CHATPINS_WEBHOOK_ALLOW_PRIVATE": "true",
            # Streams poll the outbox once a minute only: an event faster than that across
            # instances came through Redis.
            "CHATPINS_EVENTS_POLL_SECONDS": "60",
        }

    def start_pair(self) -> Pair:
        """A Redis of the pair's own, then instances A and B on it, started at once (the
        schema is migrated already)."""
        own_redis = PrivateRedis()
        own_redis.start()
        processes = [
            ServerProcess(
                self.serve_url,
                self.log_dir,
                extra_env=self.env(own_redis),
                upgrade_url=self.direct_url,
                startup_timeout_s=STARTUP_TIMEOUT_S,
            )
            for _ in range(2)
        ]
        with ThreadPoolExecutor(len(processes)) as pool:
            started = [pool.submit(p.start, upgrade=False) for p in processes]
        try:
            for future in started:
                future.result()  # a failed start fails the test, with the server's log
        except BaseException:
            for process in processes:
                process.stop()
            own_redis.stop()
            raise
        return Pair(own_redis, Instance("A", processes[0]), Instance("B", processes[1]))


@dataclass
class Pair:
    """Instances A and B on one database and one Redis, as behind a load balancer."""

    redis: PrivateRedis
    a: Instance
    b: Instance

    def __iter__(self) -> Iterator[Instance]:
        return iter((self.a, self.b))

    def new_app(self, name: str, **settings: Any) -> dict[str, Any]:
        """A fresh app (through A), with ``settings`` patched on it."""
        app = create_app(self.a.admin, name)
        if settings:
            reply = self.a.admin.patch(f"/v1/apps/{app['id']}", json=settings)
            assert reply.status_code == 200, reply.text
        return app

    def clock(self, app: dict[str, Any], **change: Any) -> dict[str, Any]:
        """Move or stop the app's clock (``PUT /v1/apps/{id}/clock``, through A)."""
        reply = self.a.admin.put(f"/v1/apps/{app['id']}/clock", json=change)
        assert reply.status_code == 200, reply.text
        reading: dict[str, Any] = reply.json()
        return reading

    def stop(self) -> None:
        for instance in self:
            instance.close()
            instance.process.stop()
        self.redis.stop()


def outbox(admin: httpx.Client, app: dict[str, Any]) -> list[dict[str, Any]]:
    """Every event of the app, oldest first (``GET /v1/apps/{id}/events``, admin key)."""
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        reply = admin.get(f"/v1/apps/{app['id']}/events", params={"after": after, "limit": 1000})
        assert reply.status_code == 200, reply.text
        page = reply.json()
        if not page["events"]:
            return events
        events += page["events"]
        after = page["next_after"]


_SAMPLE = re.compile(r"^(?P<name>[a-z_:]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$", re.M)


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample ``name{labels}`` in Prometheus text, None when absent."""
    want = {f'{k}="{v}"' for k, v in labels.items()}
    for sample in _SAMPLE.finditer(text):
        if (
            sample["name"] == name
            and set(filter(None, (sample["labels"] or "").split(","))) == want
        ):
            return float(sample["value"])
    return None

"""What is measured: each scenario sets itself up over the real API, then loads one endpoint."""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import processes, seed
from bench.loader import LoadResult, run_wrk, write_requests

ADMIN_KEY = "bench-" + secrets.token_hex(8)
PIN_PATH = "/open-apis/im/v1/pins"


@dataclass
class Plan:
    seconds: int = 10
    warmup_seconds: int = 2
    concurrency: tuple[int, ...] = (1, 16, 64)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="chatpins-bench-")))

    def requests_needed(self) -> int:
        # Enough distinct requests that none repeats at up to 4,000 req/s, warm-up included.
        return 4000 * (self.seconds + self.warmup_seconds + 1)


@dataclass
class Series:
    """One scenario's results at each concurrency."""

    name: str
    target: str
    runs: list[LoadResult] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def at(self, concurrency: int) -> LoadResult | None:
        return next((r for r in self.runs if r.concurrency == concurrency), None)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "target": self.target,
            "runs": [r.as_dict() for r in self.runs],
            **self.extra,
        }


def load(
    plan: Plan,
    name: str,
    target: str,
    base_url: str,
    make_requests: Callable[[int], Path],
    headers: dict[str, str] | None = None,
    ok_pattern: str = "",
    server: processes.Process | None = None,
) -> Series:
    """Warm up, then measure at every concurrency, each run with fresh requests; with
    ``server``, also its CPU time per request served."""
    series = Series(name, target)
    for concurrency in plan.concurrency:
        requests = make_requests(plan.requests_needed())
        if plan.warmup_seconds:
            run_wrk(base_url, requests, concurrency=concurrency, seconds=plan.warmup_seconds,
                    headers=headers, ok_pattern=ok_pattern)  # fmt: skip
            requests = make_requests(plan.requests_needed())
        cpu_before = server.cpu_seconds() if server else 0.0
        result = run_wrk(base_url, requests, concurrency=concurrency, seconds=plan.seconds,
                         headers=headers, ok_pattern=ok_pattern)  # fmt: skip
        if server and result.requests:
            spent = server.cpu_seconds() - cpu_before
            result.cpu_ms_per_request = [round(spent * 1000 / result.requests, 3)]
        series.runs.append(result)
    return series


# ---------------------------------------------------------------- ceilings


def ceilings(plan: Plan) -> list[Series]:
    results = []
    for kind, label in (
        ("a", "ceiling A: parse JSON"),
        ("b", "ceiling B: + durable SQLite insert"),
    ):
        port = processes.free_port()
        with processes.ceiling(kind, port, plan.workdir / f"ceiling-{kind}.db"):
            results.append(
                load(plan, label, f"ceiling_{kind}", f"http://127.0.0.1:{port}",
                     lambda n: _pin_bodies(plan, ["om_" + secrets.token_hex(16) for _ in range(n)]))
            )  # fmt: skip
    return results


def _pin_bodies(plan: Plan, message_ids: list[str]) -> Path:
    path = plan.workdir / f"pins-{secrets.token_hex(4)}.txt"
    return write_requests(
        path, [("POST", PIN_PATH, json.dumps({"message_id": m})) for m in message_ids]
    )


# ---------------------------------------------------------------- chatpins, Feishu


@dataclass
class FeishuApp:
    base_url: str
    database_url: str
    app: dict
    token: str
    chat_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json; charset=utf-8",
        }


def unlimited_app(base_url: str, name: str) -> dict:
    """A new app (native API, admin key) with the platform's own limits off (Feishu's 50/s per
    endpoint and 5 messages/s per chat, IMKit's 1,000 requests/min per API key): we measure the
    server, not the vendor's quotas."""
    admin = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    app = admin.post("/v1/apps", json={"name": name}).json()
    admin.patch(
        f"/v1/apps/{app['id']}",
        json={"api_rate_per_second": 0, "api_rate_per_minute": 0, "message_rate_per_second": 0},
    ).raise_for_status()
    return app


def feishu_app(base_url: str, database_url: str) -> FeishuApp:
    app = unlimited_app(base_url, "bench")
    token = httpx.post(
        base_url + "/open-apis/auth/v3/tenant_access_token/internal",
        json={"app_id": app["feishu"]["app_id"], "app_secret": app["feishu"]["app_secret"]},
    ).json()["tenant_access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    chat = httpx.post(base_url + "/open-apis/im/v1/chats", json={"name": "bench"}, headers=auth)
    return FeishuApp(base_url, database_url, app, token, chat.json()["data"]["chat_id"])


def feishu_pin_create(
    plan: Plan, fa: FeishuApp, label: str, server: processes.Process | None = None
) -> Series:
    """Pins of new messages: every request creates a pin (a write with history and event)."""

    def requests(n: int) -> Path:
        ids = seed.insert_messages(
            fa.database_url, fa.app["id"], fa.chat_id, fa.app["feishu"]["app_id"], n
        )
        return _pin_bodies(plan, ids)

    return load(plan, label, "feishu_pin_create", fa.base_url, requests, fa.headers,
                server=server)  # fmt: skip


def feishu_pin_list(plan: Plan, fa: FeishuApp, pins: int = 100) -> Series:
    """The first page (20) of a chat holding ``pins`` pins."""
    ids = seed.insert_messages(
        fa.database_url, fa.app["id"], fa.chat_id, fa.app["feishu"]["app_id"], pins
    )
    with httpx.Client(base_url=fa.base_url, headers=fa.headers) as client:
        for message_id in ids:
            client.post(PIN_PATH, json={"message_id": message_id}).raise_for_status()
    path = write_requests(
        plan.workdir / "pin-list.txt", [("GET", f"{PIN_PATH}?chat_id={fa.chat_id}", "")]
    )
    return load(plan, "chatpins Feishu pin list (100 pins, page 20)", "feishu_pin_list",
                fa.base_url, lambda _n: path, fa.headers)  # fmt: skip


def chatpins_feishu(plan: Plan, database_url: str, label: str, *, with_list: bool) -> list[Series]:
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    with processes.chatpins(port, database_url, ADMIN_KEY) as server:
        results = [feishu_pin_create(plan, feishu_app(base, database_url), label, server)]
        if with_list:
            results.append(feishu_pin_list(plan, feishu_app(base, database_url)))
        results[0].extra["rss_mib_after"] = round(server.rss_mib(), 1)
    return results


# ---------------------------------------------------------------- chatpins, IMKit


def imkit_pin_replacing(plan: Plan, base_url: str, database_url: str) -> Series:
    """IMKit pins by the room owner: each pin replaces the room's one pinned message."""
    admin = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    app = admin.post("/v1/apps", json={"name": "bench imkit"}).json()
    api = {"IM-API-KEY": app["imkit"]["api_key"]}
    token = httpx.post(
        base_url + "/admin/clients",
        json={"_id": "owner", "nickname": "Owner", "issueAccessToken": True},
        headers=api,
    ).json()["result"]["token"]
    room = "bench-room"
    httpx.post(
        base_url + "/rooms", json={"_id": room, "name": "Bench", "owner": "owner"}, headers=api
    ).raise_for_status()

    def requests(n: int) -> Path:
        ids = seed.insert_messages(database_url, app["id"], room, "owner", n)
        path = plan.workdir / f"imkit-{secrets.token_hex(4)}.txt"
        return write_requests(path, [("POST", f"/messages/{m}/pin", "") for m in ids])

    headers = {"IM-CLIENT-KEY": app["imkit"]["client_key"], "IM-Authorization": token}
    return load(plan, "chatpins IMKit pin, replacing (SQLite)", "imkit_pin_replace", base_url,
                requests, headers)  # fmt: skip


def chatpins_imkit(plan: Plan, database_url: str) -> list[Series]:
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    with processes.chatpins(port, database_url, ADMIN_KEY):
        return [imkit_pin_replacing(plan, base, database_url)]

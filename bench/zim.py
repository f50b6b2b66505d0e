"""ZIM scenarios: ConvPinned with 20-item batches, and the conversation list of a user with
10,000 conversations of which 100 are pinned. Requests are signed ahead (each its own nonce)."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench import processes, seed
from bench.loader import write_requests
from bench.scenarios import ADMIN_KEY, Plan, Series, load

MAX_LINES = 20_000  # ZIM scenarios run far below 2,000 req/s
OK = '"Code":0,'  # ZIM answers every outcome with HTTP 200


class ZimApp:
    def __init__(self, base_url: str, database_url: str, admin: httpx.Client) -> None:
        app = admin.post("/v1/apps", json={"name": "bench zim"}).json()
        # The vendor's 20/s per action would cap the load: lifted for this app.
        admin.patch(f"/v1/apps/{app['id']}", json={"zim_rate_limits": False}).raise_for_status()
        self.app = app
        self.base_url = base_url
        self.database_url = database_url
        self.app_id = app["zim"]["app_id"]
        self.secret = app["zim"]["server_secret"]

    def path(self, action: str) -> str:
        nonce, ts = secrets.token_hex(8), int(time.time())
        signature = hashlib.md5(f"{self.app_id}{nonce}{self.secret}{ts}".encode()).hexdigest()
        query = {"Action": action, "AppId": self.app_id, "SignatureNonce": nonce,
                 "Timestamp": ts, "SignatureVersion": "2.0", "Signature": signature}  # fmt: skip
        return "/?" + urlencode(query)

    def call(self, action: str, body: dict) -> dict:
        reply = httpx.post(self.base_url + self.path(action), json=body, timeout=60).json()
        assert reply["Code"] == 0, reply
        return reply


def conv_pinned(plan: Plan, za: ZimApp) -> Series:
    """Each request pins (or unpins) a user's 20 conversations; users alternate so every
    request changes 20 pins."""
    users = [f"u{i}" for i in range(100)]
    peers = [f"p{i}" for i in range(20)]
    seed.insert_users(za.database_url, za.app["id"], users + peers)
    conv_list = [{"ConvId": p, "ConvType": 0} for p in peers]

    def requests(n: int) -> Path:
        lines = []
        for i in range(min(n, MAX_LINES)):
            body = {"FromUserId": users[i % len(users)], "ConvList": conv_list,
                    "PinnedType": 1 - (i // len(users)) % 2}  # fmt: skip
            lines.append(("POST", za.path("ConvPinned"), json.dumps(body)))
        return write_requests(plan.workdir / f"zim-pin-{secrets.token_hex(4)}.txt", lines)

    return load(plan, "chatpins ZIM ConvPinned, 20-item batches (SQLite)", "zim_conv_pinned",
                za.base_url, requests, {"Content-Type": "application/json"},
                ok_pattern=OK)  # fmt: skip


def conversation_list(plan: Plan, za: ZimApp, conversations: int = 10_000) -> Series:
    """QueryConversationList (Limit 100, PinnedFirst) of a user with 10,000 conversations,
    100 of them pinned."""
    requests = list_requests(plan, za, conversations)
    series = load(plan, "chatpins ZIM conversation list (10,000 convs, 100 pinned)",
                  "zim_conversation_list", za.base_url, requests,
                  {"Content-Type": "application/json"}, ok_pattern=OK)  # fmt: skip
    return series


def list_requests(plan: Plan, za: ZimApp, conversations: int = 10_000) -> Callable[[int], Path]:
    """A user with ``conversations`` p2p conversations, 100 of them pinned; and the maker of
    ``n`` signed QueryConversationList requests (Limit 100, PinnedFirst) of that user."""
    database_url = za.database_url
    peers = [f"c{i}" for i in range(conversations)]
    seed.insert_users(database_url, za.app["id"], ["owner", *peers])
    seed.insert_p2p_chats(database_url, za.app["id"], "owner", peers)
    for start in range(0, 100, 20):
        za.call("ConvPinned", {"FromUserId": "owner", "PinnedType": 1,
                               "ConvList": [{"ConvId": p, "ConvType": 0}
                                            for p in peers[start : start + 20]]})  # fmt: skip
    body = json.dumps({"FromUserId": "owner", "Limit": 100, "PinnedFirst": True})

    def requests(n: int) -> Path:
        lines = [("POST", za.path("QueryConversationList"), body) for _ in range(min(n, MAX_LINES))]
        return write_requests(plan.workdir / f"zim-list-{secrets.token_hex(4)}.txt", lines)

    return requests


def chatpins_zim(plan: Plan, database_url: str) -> list[Series]:
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    with processes.chatpins(port, database_url, ADMIN_KEY):
        admin = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        results = []
        for scenario in (conv_pinned, conversation_list):
            results.append(scenario(plan, ZimApp(base, database_url, admin)))
        return results

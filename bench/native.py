"""The native API on a 50-pin chat: pin create into a full chat (each pin evicts the last one,
so the chat stays at 50) and reorder (each request a whole new order of the 50), both with the
app's API key, against the ceilings of the same run."""

from __future__ import annotations

import json
import random
import secrets
from pathlib import Path

import httpx

from bench import processes, seed
from bench.loader import write_requests
from bench.scenarios import ADMIN_KEY, Plan, Series, load, unlimited_app

PINS = 50


class NativeChat:
    """An app, its API key and one native chat capped at ``PINS`` pins (``evict_last``), full."""

    def __init__(self, base_url: str, database_url: str) -> None:
        self.base_url, self.database_url = base_url, database_url
        self.app = unlimited_app(base_url, "bench native")
        self.headers = {
            "Authorization": f"Bearer {self.app['native']['api_key']}",
            "Content-Type": "application/json",
        }
        with self._client() as api:
            api.post("/v1/users", json={"id": "owner", "name": "Owner"}).raise_for_status()
            chat = api.post(
                "/v1/chats",
                json={
                    "name": "bench",
                    "owner": "owner",
                    "pin_policy": {"max_pins": PINS, "overflow": "evict_last"},
                },
            )
            chat.raise_for_status()
            self.chat_id = chat.json()["id"]
            for message_id in self.messages(PINS):
                api.post(
                    f"/v1/chats/{self.chat_id}/pins", json={"message_id": message_id}
                ).raise_for_status()
            listed = api.get(f"/v1/chats/{self.chat_id}/pins").json()["pins"]
        self.pinned = [p["message_id"] for p in listed]

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=self.headers, timeout=30)

    def messages(self, count: int) -> list[str]:
        return seed.insert_messages(self.database_url, self.app["id"], self.chat_id, "owner", count)


def create_requests(plan: Plan, chat: NativeChat, n: int) -> Path:
    """``n`` new messages, each pinned at the top of the full chat (so each evicts the pin in
    the last place: history row, event and eviction included)."""
    path = plan.workdir / f"native-pins-{secrets.token_hex(4)}.txt"
    pins_path = f"/v1/chats/{chat.chat_id}/pins"
    bodies = [("POST", pins_path, json.dumps({"message_id": m})) for m in chat.messages(n)]
    return write_requests(path, bodies)


def order_requests(plan: Plan, chat: NativeChat, n: int) -> Path:
    """``PUT …/pins/order`` with the chat's 50 pins, each request one pin dragged to another
    place of the starting order (what a person does); the server re-keys what moved."""
    rng = random.Random(7)

    def order() -> str:
        ids = list(chat.pinned)
        ids.insert(rng.randrange(PINS), ids.pop(rng.randrange(PINS)))
        return json.dumps({"message_ids": ids})

    # A reorder may repeat (the replay wraps around): 2,000 orders keep the file small.
    path = plan.workdir / f"native-order-{secrets.token_hex(4)}.txt"
    order_path = f"/v1/chats/{chat.chat_id}/pins/order"
    return write_requests(path, [("PUT", order_path, order()) for _ in range(min(n, 2000))])


def pin_create(plan: Plan, chat: NativeChat) -> Series:
    return load(plan, f"chatpins native pin create ({PINS}-pin chat, evict_last)",
                "native_pin_create", chat.base_url, lambda n: create_requests(plan, chat, n),
                chat.headers)  # fmt: skip


def reorder(plan: Plan, chat: NativeChat) -> Series:
    return load(plan, f"chatpins native reorder ({PINS}-pin chat)", "native_reorder",
                chat.base_url, lambda n: order_requests(plan, chat, n), chat.headers)  # fmt: skip


def chatpins_native(plan: Plan, database_url: str) -> list[Series]:
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    with processes.chatpins(port, database_url, ADMIN_KEY):
        created = pin_create(plan, NativeChat(base, database_url))
        # Reorder on a chat of its own: the create run left its chat's pins changing.
        reordered = reorder(plan, NativeChat(base, database_url))
    return [created, reordered]

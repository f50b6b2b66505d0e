"""A small client for chatpins' native API (`/v1`), written from docs/native.md alone.

`Native` is one credential talking to `/v1`: the app's api key (the platform, an owner in every
chat) or one user's token. `NativeApp` is one provisioned app: its api-key session and a
session per user, with user tokens issued through the admin API. Nothing from the `chatpins`
package is imported: requests and replies are the documented JSON.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

# The documented defaults of a chat created through `/v1` (docs/native.md, "A chat").
DEFAULT_PERMISSIONS = {
    "pin": "member",
    "unpin_own": "member",
    "unpin_any": "admin",
    "reorder": "admin",
    "edit": "admin",
}
DEFAULT_POLICY: dict[str, Any] = {
    "max_pins": None,
    "overflow": "reject",
    "permissions": DEFAULT_PERMISSIONS,
}
RIGHTS = tuple(DEFAULT_PERMISSIONS)


def policy(max_pins: int | None, overflow: str, **permissions: str) -> dict[str, Any]:
    """A whole pin policy: the cap, the overflow rule and the default rights with `permissions`
    changed."""
    return {
        "max_pins": max_pins,
        "overflow": overflow,
        "permissions": {**DEFAULT_PERMISSIONS, **permissions},
    }


ROLES = ("member", "admin", "owner")


def role_at_least(role: str, lowest: str) -> bool:
    """`member` < `admin` < `owner`: may a `role` use a right whose lowest role is `lowest`?"""
    return ROLES.index(role) >= ROLES.index(lowest)


def now_ms() -> int:
    return int(time.time() * 1000)


# --------------------------------------------------------------------------- reply checks


def expect(reply: httpx.Response, status: int) -> Any:
    """Assert the HTTP status and return the JSON body (None for an empty one)."""
    assert reply.status_code == status, (
        f"{reply.request.method} {reply.request.url.path}: expected {status}, "
        f"got {reply.status_code}: {reply.text[:500]}"
    )
    return reply.json() if reply.content else None


def expect_error(reply: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert a native error reply `{"error": {"code", "reason", "message"}}` and its code."""
    body = expect(reply, status)
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), body
    error: dict[str, Any] = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], error
    assert isinstance(error.get("reason"), str) and error["reason"], error
    assert isinstance(error.get("message"), str) and error["message"], error
    if code is not None:
        assert error["code"] == code, f"expected code {code!r}: {error}"
    return error


def expect_bad_request(reply: httpx.Response, reason: str | None = None) -> dict[str, Any]:
    """A 400: `code` is `invalid_argument` or the specific reason (docs/native.md, "Errors"),
    so the named reason must be the code or, under `invalid_argument`, the reason."""
    error = expect_error(reply, 400)
    if reason is not None:
        assert reason in (error["code"], error["reason"]), f"expected {reason!r}: {error}"
        assert error["code"] in (reason, "invalid_argument"), error
    return error


# --------------------------------------------------------------------------- one credential


class Native:
    """One credential (api key or user token) on `/v1`; `*_request` methods return the raw
    reply, the others assert success and return the documented body."""

    def __init__(self, base_url: str, credential: str, timeout: float = 30.0) -> None:
        self.base_url = base_url
        self.credential = credential
        self.headers = {"Authorization": f"Bearer {credential}"}
        self.timeout = timeout
        self.http = httpx.Client(base_url=base_url, headers=self.headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def async_client(self) -> httpx.AsyncClient:
        """The same credential for concurrent requests (asyncio)."""
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        return httpx.AsyncClient(
            base_url=self.base_url, headers=self.headers, timeout=self.timeout, limits=limits
        )

    # ---- users
    def create_user_request(self, user_id: str, name: str | None = None) -> httpx.Response:
        return self.http.post("/v1/users", json={"id": user_id, "name": name or user_id.title()})

    def create_user(self, user_id: str, name: str | None = None) -> dict[str, Any]:
        user: dict[str, Any] = expect(self.create_user_request(user_id, name), 201)
        return user

    def get_user_request(self, user_id: str) -> httpx.Response:
        return self.http.get(f"/v1/users/{user_id}")

    # ---- chats and members
    def create_chat_request(self, **body: Any) -> httpx.Response:
        return self.http.post("/v1/chats", json=body)

    def create_chat(self, name: str = "chat", **body: Any) -> dict[str, Any]:
        chat: dict[str, Any] = expect(self.create_chat_request(name=name, **body), 201)
        return chat

    def get_chat_request(self, chat_id: str) -> httpx.Response:
        return self.http.get(f"/v1/chats/{chat_id}")

    def chat(self, chat_id: str) -> dict[str, Any]:
        chat: dict[str, Any] = expect(self.get_chat_request(chat_id), 200)
        return chat

    def patch_chat_request(self, chat_id: str, **body: Any) -> httpx.Response:
        return self.http.patch(f"/v1/chats/{chat_id}", json=body)

    def set_policy(self, chat_id: str, **policy: Any) -> dict[str, Any]:
        """Replace the given pin-policy keys; returns the chat's new policy."""
        chat = expect(self.patch_chat_request(chat_id, pin_policy=policy), 200)
        result: dict[str, Any] = chat["pin_policy"]
        return result

    def add_member_request(
        self, chat_id: str, user_id: str, role: str | None = None
    ) -> httpx.Response:
        body: dict[str, Any] = {"user_id": user_id}
        if role is not None:
            body["role"] = role
        return self.http.post(f"/v1/chats/{chat_id}/members", json=body)

    def add_member(self, chat_id: str, user_id: str, role: str | None = None) -> dict[str, Any]:
        member: dict[str, Any] = expect(self.add_member_request(chat_id, user_id, role), 201)
        return member

    def remove_member_request(self, chat_id: str, user_id: str) -> httpx.Response:
        return self.http.delete(f"/v1/chats/{chat_id}/members/{user_id}")

    def roles(self, chat_id: str) -> dict[str, str]:
        """The chat's members as `{user_id: role}`."""
        return {m["user_id"]: m["role"] for m in self.chat(chat_id)["members"]}

    # ---- messages
    def send_request(
        self, chat_id: str, text: str = "hello", sender: str | None = None
    ) -> httpx.Response:
        body: dict[str, Any] = {"text": text}
        if sender is not None:
            body["sender"] = sender
        return self.http.post(f"/v1/chats/{chat_id}/messages", json=body)

    def send(self, chat_id: str, text: str = "hello", sender: str | None = None) -> str:
        message = expect(self.send_request(chat_id, text, sender), 201)
        message_id: str = message["id"]
        return message_id

    def send_many(self, chat_id: str, count: int, sender: str | None = None) -> list[str]:
        return [self.send(chat_id, f"message {i}", sender) for i in range(count)]

    # ---- pins
    def pin_request(
        self, chat_id: str, message_id: str, if_match: int | None = None, **body: Any
    ) -> httpx.Response:
        return self.http.post(
            f"/v1/chats/{chat_id}/pins",
            json={"message_id": message_id, **body},
            headers=_if_match(if_match),
        )

    def pin(self, chat_id: str, message_id: str, **body: Any) -> dict[str, Any]:
        """A new pin: 201 `{"pin", "version", "evicted"}`."""
        created: dict[str, Any] = expect(self.pin_request(chat_id, message_id, **body), 201)
        return created

    def pins_request(self, chat_id: str) -> httpx.Response:
        return self.http.get(f"/v1/chats/{chat_id}/pins")

    def pins(self, chat_id: str) -> dict[str, Any]:
        """`{"version", "pins"}`, checking the `ETag: "n"` header against the version."""
        reply = self.pins_request(chat_id)
        listing: dict[str, Any] = expect(reply, 200)
        assert reply.headers.get("etag") == f'"{listing["version"]}"', (
            reply.headers.get("etag"),
            listing["version"],
        )
        return listing

    def pinned_ids(self, chat_id: str) -> list[str]:
        return [pin["message_id"] for pin in self.pins(chat_id)["pins"]]

    def version(self, chat_id: str) -> int:
        version: int = self.pins(chat_id)["version"]
        return version

    def patch_pin_request(self, chat_id: str, message_id: str, **body: Any) -> httpx.Response:
        return self.http.patch(f"/v1/chats/{chat_id}/pins/{message_id}", json=body)

    def unpin_request(
        self, chat_id: str, message_id: str, if_match: int | None = None
    ) -> httpx.Response:
        return self.http.delete(
            f"/v1/chats/{chat_id}/pins/{message_id}", headers=_if_match(if_match)
        )

    def unpin(self, chat_id: str, message_id: str) -> int:
        """Unpin; returns the chat's new pin version."""
        version: int = expect(self.unpin_request(chat_id, message_id), 200)["version"]
        return version

    def reorder_request(
        self, chat_id: str, message_ids: list[str], expected_version: int | None = None
    ) -> httpx.Response:
        body: dict[str, Any] = {"message_ids": message_ids}
        if expected_version is not None:
            body["expected_version"] = expected_version
        return self.http.put(f"/v1/chats/{chat_id}/pins/order", json=body)

    def reorder(self, chat_id: str, message_ids: list[str]) -> dict[str, Any]:
        result: dict[str, Any] = expect(self.reorder_request(chat_id, message_ids), 200)
        return result

    # ---- history
    def history_request(
        self, chat_id: str, after: Any = None, limit: int | None = None
    ) -> httpx.Response:
        params: dict[str, Any] = {}
        if after is not None:
            params["after"] = after
        if limit is not None:
            params["limit"] = limit
        return self.http.get(f"/v1/chats/{chat_id}/pins/history", params=params)

    def history(self, chat_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """Every history row of the chat, oldest first, following `next_after`."""
        items: list[dict[str, Any]] = []
        after: Any = None
        for _ in range(1000):
            page = expect(self.history_request(chat_id, after, limit), 200)
            items.extend(page["items"])
            if page["next_after"] is None:
                return items
            after = page["next_after"]
        raise AssertionError("history paging never ended")

    def state(self, chat_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """What a refused change must leave alone: the pin list (with its version) and the
        whole history."""
        return self.pins(chat_id), self.history(chat_id)

    def history_of(self, chat_id: str, message_id: str) -> list[str]:
        """The actions recorded for one message, oldest first."""
        return [i["action"] for i in self.history(chat_id) if i["message_id"] == message_id]

    # ---- batches, restore, must-read
    def batch_request(
        self,
        chat_id: str,
        operations: list[dict[str, Any]],
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        return self.http.post(
            f"/v1/chats/{chat_id}/pins/batch",
            json=batch_body(operations, expected_version),
            headers=_idempotency(idempotency_key),
        )

    def batch(
        self,
        chat_id: str,
        operations: list[dict[str, Any]],
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """A batch: 200 `{"version", "results"}`, one result per operation, in order."""
        reply = self.batch_request(chat_id, operations, expected_version, idempotency_key)
        result: dict[str, Any] = expect(reply, 200)
        assert [r["message_id"] for r in result["results"]] == [
            op["message_id"] for op in operations
        ], result
        return result

    def restore_request(self, chat_id: str, message_id: str) -> httpx.Response:
        return self.http.post(f"/v1/chats/{chat_id}/pins/{message_id}/restore")

    def restore(self, chat_id: str, message_id: str) -> dict[str, Any]:
        """Re-pin a removed pin: 201 `{"pin", "version", "evicted"}`."""
        restored: dict[str, Any] = expect(self.restore_request(chat_id, message_id), 201)
        return restored

    def ack_request(
        self, chat_id: str, message_id: str, user_id: str | None = None
    ) -> httpx.Response:
        """Acknowledge a must-read pin: a user token as itself (no body), the api key for
        `user_id`."""
        path = f"/v1/chats/{chat_id}/pins/{message_id}/ack"
        if user_id is None:
            return self.http.post(path)
        return self.http.post(path, json={"user_id": user_id})

    def ack(self, chat_id: str, message_id: str, user_id: str | None = None) -> dict[str, Any]:
        """`{"count", "of"}` after the acknowledgement."""
        acks: dict[str, Any] = expect(self.ack_request(chat_id, message_id, user_id), 200)["acks"]
        return acks

    def acks_request(self, chat_id: str, message_id: str) -> httpx.Response:
        return self.http.get(f"/v1/chats/{chat_id}/pins/{message_id}/acks")

    def acks(self, chat_id: str, message_id: str) -> dict[str, Any]:
        """`{"count", "of", "acked": [{"user_id", "at_ms"}], "pending": [user ids]}`."""
        acks: dict[str, Any] = expect(self.acks_request(chat_id, message_id), 200)
        return acks

    def pin_of(self, chat_id: str, message_id: str) -> dict[str, Any]:
        """The listed pin of `message_id` (asserting it is pinned)."""
        listed = {pin["message_id"]: pin for pin in self.pins(chat_id)["pins"]}
        assert message_id in listed, (message_id, list(listed))
        pin: dict[str, Any] = listed[message_id]
        return pin

    # ---- conversations (docs/native.md, "Conversations")
    def conversations_request(
        self, user_id: str, limit: int | None = None, cursor: str | None = None
    ) -> httpx.Response:
        params: dict[str, Any] = {}
        if limit is not None:
            params["limit"] = limit
        if cursor is not None:
            params["cursor"] = cursor
        return self.http.get(f"/v1/users/{user_id}/conversations", params=params)

    def conversations(self, user_id: str, page_size: int = 200) -> list[dict[str, Any]]:
        """The user's whole list, following `next_cursor`."""
        items: list[dict[str, Any]] = []
        cursor = None
        for _ in range(1000):
            page = expect(self.conversations_request(user_id, page_size, cursor), 200)
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items
        raise AssertionError("the conversation list never ended")

    def pin_conversation_request(self, user_id: str, chat_id: str, **body: Any) -> httpx.Response:
        return self.http.put(f"/v1/users/{user_id}/conversations/{chat_id}/pin", json=body)

    def pin_conversation(self, user_id: str, chat_id: str, **body: Any) -> dict[str, Any]:
        reply = self.pin_conversation_request(user_id, chat_id, **body)
        assert reply.status_code in (200, 201), reply.text
        result: dict[str, Any] = reply.json()
        return result

    def unpin_conversation_request(self, user_id: str, chat_id: str) -> httpx.Response:
        return self.http.delete(f"/v1/users/{user_id}/conversations/{chat_id}/pin")

    def order_conversations_request(self, user_id: str, chat_ids: list[str]) -> httpx.Response:
        return self.http.put(
            f"/v1/users/{user_id}/conversations/order", json={"chat_ids": chat_ids}
        )

    def pin_globally_request(self, chat_id: str, **body: Any) -> httpx.Response:
        return self.http.put(f"/v1/chats/{chat_id}/global-pin", json=body)

    def unpin_globally_request(self, chat_id: str) -> httpx.Response:
        return self.http.delete(f"/v1/chats/{chat_id}/global-pin")


def _if_match(version: int | None) -> dict[str, str]:
    return {} if version is None else {"If-Match": f'"{version}"'}


def _idempotency(key: str | None) -> dict[str, str]:
    return {} if key is None else {"Idempotency-Key": key}


def pin_op(message_id: str, **fields: Any) -> dict[str, Any]:
    """A batch operation pinning `message_id` (`position`, `ttl_seconds`, `note`, ...)."""
    return {"op": "pin", "message_id": message_id, **fields}


def unpin_op(message_id: str) -> dict[str, Any]:
    return {"op": "unpin", "message_id": message_id}


def batch_body(
    operations: list[dict[str, Any]], expected_version: int | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"operations": operations}
    if expected_version is not None:
        body["expected_version"] = expected_version
    return body


async def batch_async(
    client: httpx.AsyncClient,
    chat_id: str,
    body: dict[str, Any],
    idempotency_key: str | None = None,
) -> httpx.Response:
    return await client.post(
        f"/v1/chats/{chat_id}/pins/batch", json=body, headers=_idempotency(idempotency_key)
    )


async def pin_async(
    client: httpx.AsyncClient, chat_id: str, message_id: str, **body: Any
) -> httpx.Response:
    return await client.post(f"/v1/chats/{chat_id}/pins", json={"message_id": message_id, **body})


def run_all(calls: Iterable[Callable[[httpx.AsyncClient], Any]], native: Native) -> list[Any]:
    """Send every call at once (one shared async client, asyncio.gather); replies in order."""

    async def run() -> list[Any]:
        async with native.async_client() as client:
            return list(await asyncio.gather(*(call(client) for call in calls)))

    return asyncio.run(run())


def wait_until(
    condition: Callable[[], Any], deadline_ms: int, what: str, interval_s: float = 0.05
) -> Any:
    """Poll `condition` until it returns something truthy or the wall clock passes `deadline_ms`
    (epoch ms). For time-driven changes (expiry): there is nothing else to wait on."""
    while True:
        result = condition()
        if result:
            return result
        if now_ms() > deadline_ms:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval_s)


# --------------------------------------------------------------------------- one app


@dataclass
class NativeApp:
    """One provisioned app on `/v1`: `api` (its api key) and `as_user(id)` sessions."""

    base_url: str
    admin: httpx.Client
    app: dict[str, Any]
    api: Native = field(init=False)
    _users: dict[str, Native] = field(default_factory=dict)

    def __post_init__(self) -> None:
        key = self.app["native"]["api_key"]
        assert key.startswith("cpk_"), key
        self.api = Native(self.base_url, key)

    @property
    def app_id(self) -> str:
        app_id: str = self.app["id"]
        return app_id

    def issue_token_request(self, user_id: str, ttl_seconds: int | None = None) -> httpx.Response:
        body: dict[str, Any] = {"user_id": user_id, "dialect": "native"}
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        return self.admin.post(f"/v1/apps/{self.app_id}/tokens", json=body)

    def issue_token(self, user_id: str, ttl_seconds: int | None = None) -> str:
        token: str = expect(self.issue_token_request(user_id, ttl_seconds), 201)["token"]
        assert token.startswith("cpu_"), token
        return token

    def as_user(self, user_id: str) -> Native:
        """A session with `user_id`'s native token (issued once per test)."""
        if user_id not in self._users:
            self._users[user_id] = Native(self.base_url, self.issue_token(user_id))
        return self._users[user_id]

    def events(self, prefix: str = "pin.") -> list[dict[str, Any]]:
        """The app's events whose type starts with `prefix`, oldest first (admin outbox)."""
        events: list[dict[str, Any]] = []
        after = 0
        for _ in range(1000):
            page = expect(
                self.admin.get(
                    f"/v1/apps/{self.app_id}/events", params={"after": after, "limit": 1000}
                ),
                200,
            )
            if not page["events"]:
                return [e for e in events if e["type"].startswith(prefix)]
            events.extend(page["events"])
            after = page["next_after"]
        raise AssertionError("event paging never ended")

    def users(self, *user_ids: str) -> None:
        for user_id in user_ids:
            self.api.create_user(user_id)

    def close(self) -> None:
        self.api.close()
        for session in self._users.values():
            session.close()

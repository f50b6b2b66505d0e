"""One app of a test server, with its credentials for every dialect, ready clients, its clock,
its fault rules and a reset."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import httpx


def _checked(reply: httpx.Response) -> Any:
    if reply.is_error:
        raise RuntimeError(
            f"{reply.request.method} {reply.request.url.path}: {reply.status_code} {reply.text}"
        )
    return reply.json() if reply.content else None


class AppClock:
    """The app's own time on the server (``PUT /v1/apps/{id}/clock``): tokens, pins and rate
    windows of this app pass with it, so a test need not sleep. Other apps keep the real time."""

    def __init__(self, admin: httpx.Client, app_id: str) -> None:
        self._admin, self._path = admin, f"/v1/apps/{app_id}/clock"

    def now_ms(self) -> int:
        return int(_checked(self._admin.get(self._path))["now_ms"])

    def freeze(self, at_ms: int | None = None) -> int:
        """Stop the app's time (at ``at_ms``, or where it is); returns it."""
        body: dict[str, Any] = {"frozen": True}
        if at_ms is not None:
            body["now_ms"] = at_ms
        return int(_checked(self._admin.put(self._path, json=body))["now_ms"])

    def advance(self, seconds: float) -> int:
        """Move the app's time on (frozen or running); returns the new time."""
        body = {"advance_ms": round(seconds * 1000)}
        return int(_checked(self._admin.put(self._path, json=body))["now_ms"])

    def set(self, now_ms: int) -> int:
        return int(_checked(self._admin.put(self._path, json={"now_ms": now_ms}))["now_ms"])

    def reset(self) -> None:
        """Back to the real time, running."""
        _checked(self._admin.delete(self._path))


class ZimClient:
    """ZIM's server API with this app's AppId and ServerSecret: every call signed (v2.0:
    MD5 of AppId + nonce + ServerSecret + timestamp), ``POST /?Action=…``."""

    def __init__(self, url: str, app_id: int, server_secret: str) -> None:
        self.app_id, self._secret = app_id, server_secret
        self.http = httpx.Client(base_url=url, timeout=30.0)

    def signed_params(self, action: str) -> dict[str, str]:
        nonce, timestamp = secrets.token_hex(8), int(time.time())
        text = f"{self.app_id}{nonce}{self._secret}{timestamp}"
        return {
            "Action": action,
            "AppId": str(self.app_id),
            "SignatureNonce": nonce,
            "Timestamp": str(timestamp),
            "SignatureVersion": "2.0",
            "Signature": hashlib.md5(text.encode()).hexdigest(),
        }

    def call(self, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """The reply's JSON (``Code`` 0 on success; ZIM answers HTTP 200 either way)."""
        reply = self.http.post("/", params=self.signed_params(action), json=body or {})
        result: dict[str, Any] = reply.json()
        return result

    def close(self) -> None:
        self.http.close()


class ChatpinsApp:
    """A fresh app: credentials (``feishu_app_id``, ``feishu_app_secret``, ``imkit_client_key``,
    ``imkit_api_key``, ``zim_app_id``, ``zim_server_secret``, ``native_api_key``), clients,
    ``clock``, ``fail_next`` and ``reset``."""

    def __init__(self, url: str, admin: httpx.Client, created: dict[str, Any]) -> None:
        self.url, self._admin, self.info = url, admin, created
        self.id: str = created["id"]
        self.feishu_app_id: str = created["feishu"]["app_id"]
        self.feishu_app_secret: str = created["feishu"]["app_secret"]
        self.imkit_client_key: str = created["imkit"]["client_key"]
        self.imkit_api_key: str = created["imkit"]["api_key"]
        self.zim_app_id: int = created["zim"]["app_id"]
        self.zim_server_secret: str = created["zim"]["server_secret"]
        self.native_api_key: str = created["native"]["api_key"]
        self.clock = AppClock(admin, self.id)
        self._clients: list[Any] = []

    # ---- clients
    def lark_client(self) -> Any:
        """A ``lark-oapi`` client of this app against the server (``pip install lark-oapi``)."""
        import lark_oapi as lark

        return (
            lark.Client.builder()
            .app_id(self.feishu_app_id)
            .app_secret(self.feishu_app_secret)
            .domain(self.url)
            .enable_set_token(True)
            .log_level(lark.LogLevel.WARNING)
            .build()
        )

    def imkit(self) -> httpx.Client:
        """IMKit's platform API: ``IM-API-KEY`` (the platform administrator) and the client key."""
        headers = {"IM-API-KEY": self.imkit_api_key, "IM-CLIENT-KEY": self.imkit_client_key}
        return self._keep(httpx.Client(base_url=self.url, headers=headers, timeout=30.0))

    def zim(self) -> ZimClient:
        return self._keep(ZimClient(self.url, self.zim_app_id, self.zim_server_secret))

    def native(self) -> httpx.Client:
        """The native API (``/v1``) with this app's api key."""
        headers = {"Authorization": f"Bearer {self.native_api_key}"}
        return self._keep(httpx.Client(base_url=self.url, headers=headers, timeout=30.0))

    def _keep(self, client: Any) -> Any:
        self._clients.append(client)
        return client

    # ---- test controls
    def reset(self) -> dict[str, Any]:
        """Empty the app (users, chats, messages, pins, events, webhooks…), keeping its
        credentials; its clock goes back to the real time and its fault rules are dropped."""
        result: dict[str, Any] = _checked(self._admin.post(f"/v1/apps/{self.id}/reset"))
        return result

    def fail_next(
        self,
        dialect: str,
        match: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        times: int = 1,
        delay_ms: int | None = None,
    ) -> dict[str, Any]:
        """Make the next ``times`` requests of this app matching ``match`` (``"POST
        /open-apis/im/v1/pins"``, ``*`` wildcards; for ZIM the Action name) fail with the
        dialect's error ``code`` (or ``http_status``), or be delayed by ``delay_ms``."""
        body = {
            "dialect": dialect,
            "match": match,
            "times": times,
            "code": code,
            "http_status": http_status,
            "delay_ms": delay_ms,
        }
        rule: dict[str, Any] = _checked(self._admin.post(f"/v1/apps/{self.id}/faults", json=body))
        return rule

    def clear_faults(self) -> None:
        _checked(self._admin.delete(f"/v1/apps/{self.id}/faults"))

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()

"""IMKit end-to-end fixtures: an independent client built from the fact sheet (plain httpx).

Nothing from the `chatpins` package is imported: requests are built exactly as the vendor's
docs show (`IM-API-KEY`, `IM-CLIENT-KEY` + `IM-Authorization`, `{RC, RM, result}` replies).
Every test provisions a fresh app through the native `/v1` API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.e2e.live_server import Server, create_app


@dataclass
class IMKit:
    """One provisioned app seen through IMKit: its keys, and the tokens of its users."""

    base_url: str
    admin: httpx.Client
    app: dict[str, Any]
    http: httpx.Client
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def api_key(self) -> str:
        return self.app["imkit"]["api_key"]

    @property
    def client_key(self) -> str:
        return self.app["imkit"]["client_key"]

    # ---- raw calls
    def platform(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"IM-API-KEY": self.api_key, **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def as_user(self, user: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {
            "IM-CLIENT-KEY": self.client_key,
            "IM-Authorization": self.tokens[user],
            **kwargs.pop("headers", {}),
        }
        return self.http.request(method, path, headers=headers, **kwargs)

    # ---- setup shortcuts (each asserts success and returns `result`)
    def user(self, user_id: str, nickname: str = "") -> dict[str, Any]:
        body = {"_id": user_id, "nickname": nickname or user_id.title(), "issueAccessToken": True}
        result = ok(self.platform("POST", "/admin/clients", json=body))
        self.tokens[user_id] = result["token"]
        return result

    def room(self, room_id: str, owner: str, members: list[str], **extra: Any) -> dict[str, Any]:
        body = {"_id": room_id, "name": room_id, "owner": owner, "members": members, **extra}
        return ok(self.platform("POST", "/rooms", json=body))

    def send(self, user: str, room_id: str, text: str) -> dict[str, Any]:
        body = {"message": text, "messageType": "text"}
        return ok(self.as_user(user, "POST", f"/rooms/{room_id}/message", json=body))

    def get_room(self, room_id: str) -> dict[str, Any]:
        return ok(self.platform("GET", f"/rooms/{room_id}"))

    def messages(self, room_id: str, **params: Any) -> list[dict[str, Any]]:
        return ok(self.platform("GET", f"/rooms/{room_id}/messages/v3", params=params))["data"]

    def pinned_ids(self, room_id: str) -> list[str]:
        return [m["_id"] for m in self.messages(room_id, limit=100) if m["pinned"]]


def ok(reply: httpx.Response) -> Any:
    """Assert an IMKit success reply (HTTP 200, RC 0, RM OK) and return its `result`."""
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["RC"] == 0 and body["RM"] == "OK", body
    return body["result"]


def expect_error(reply: httpx.Response, status: int, code: str, rm: str | None = None) -> None:
    """Assert an IMKit error: HTTP status == RC, the RM text and `error.code` of the sheet."""
    default_rm = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        409: "Conflict",
        429: "Too Many Requests",
    }
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/json"), reply.headers
    body = reply.json()
    assert body["RC"] == status, body
    assert body["RM"] == (rm or default_rm[status]), body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "result" not in body


@pytest.fixture
def imkit_factory(
    server: Server, admin: httpx.Client, request: pytest.FixtureRequest
) -> Iterator[Callable[[], IMKit]]:
    counter = iter(range(1000))
    clients: list[httpx.Client] = []

    def make() -> IMKit:
        app = create_app(admin, f"imkit {request.node.name} #{next(counter)}")
        http = httpx.Client(base_url=server.base_url, timeout=30.0)
        clients.append(http)
        return IMKit(server.base_url, admin, app, http)

    yield make
    for http in clients:
        http.close()


@pytest.fixture
def imkit(imkit_factory: Callable[[], IMKit]) -> IMKit:
    return imkit_factory()


@pytest.fixture
def demo(imkit: IMKit) -> IMKit:
    """An app with users owner, admin, member, outsider and a group room `demo-room` owned by
    `owner`, with `admin` as manager and `member` as a plain member."""
    for user in ("owner", "admin", "member", "outsider"):
        imkit.user(user)
    imkit.room("demo-room", "owner", ["admin", "member"])
    body = {"property": "role", "value": "admin"}
    ok(imkit.platform("PUT", "/rooms/demo-room/member/admin", json=body))
    return imkit

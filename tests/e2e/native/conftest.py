"""Native `/v1` end-to-end fixtures: a fresh app per test, seen through its api key and its
users' native tokens (tests/e2e/native/client.py), on the shared live server.

`native` is built on the `feishu` fixture's app, so a test that asks for both sees one app
through two dialects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from tests.e2e.feishu_client import Feishu
from tests.e2e.live_server import Server
from tests.e2e.native.client import Native, NativeApp

# The app-wide pacing limits (requests per second/minute, messages per chat per second) belong
# to the vendor dialects; these tests measure pin rules, so their apps turn them off (0) and
# setup never depends on how fast it runs.
NO_PACING = {"api_rate_per_second": 0, "api_rate_per_minute": 0, "message_rate_per_second": 0}


def native_app(base_url: str, admin: httpx.Client, feishu: Feishu) -> NativeApp:
    feishu.patch_app(**NO_PACING)
    return NativeApp(base_url, admin, feishu.app)


@pytest.fixture
def native_factory(
    server: Server, admin: httpx.Client, feishu_factory: Callable[[], Feishu]
) -> Iterator[Callable[[], NativeApp]]:
    """A new app per call (for tests that need two tenants)."""
    made: list[NativeApp] = []

    def make() -> NativeApp:
        made.append(native_app(server.base_url, admin, feishu_factory()))
        return made[-1]

    yield make
    for app in made:
        app.close()


@pytest.fixture
def native(server: Server, admin: httpx.Client, feishu: Feishu) -> Iterator[NativeApp]:
    """This test's app (the same app as `feishu`)."""
    app = native_app(server.base_url, admin, feishu)
    yield app
    app.close()


@dataclass
class Group:
    """A native group chat: owner `alice`, admin `adam`, members `bob` and `carol`; `olga` is
    a user of the app outside the chat."""

    app: NativeApp
    chat_id: str
    users_by_role: dict[str, str] = field(
        default_factory=lambda: {"owner": "alice", "admin": "adam", "member": "bob"}
    )

    @property
    def api(self) -> Native:
        return self.app.api

    def as_user(self, user_id: str) -> Native:
        return self.app.as_user(user_id)

    def as_role(self, role: str) -> Native:
        return self.app.as_user(self.users_by_role[role])

    def send(self, count: int = 1, sender: str = "carol") -> list[str]:
        """`count` messages (through the api key, sent as `sender`)."""
        return self.api.send_many(self.chat_id, count, sender=sender)


def make_group(app: NativeApp, **chat: object) -> Group:
    for user in ("alice", "adam", "bob", "carol", "olga"):
        if app.api.get_user_request(user).status_code == 404:
            app.api.create_user(user)
    created = app.api.create_chat(name="team", owner="alice", members=["bob", "carol"], **chat)
    app.api.add_member(created["id"], "adam", role="admin")
    return Group(app, created["id"])


@pytest.fixture
def group(native: NativeApp) -> Group:
    return make_group(native)


@pytest.fixture
def group_factory(native: NativeApp) -> Callable[..., Group]:
    """Another group chat in the same app (`pin_policy=...` and other chat fields allowed)."""

    def make(**chat: object) -> Group:
        return make_group(native, **chat)

    return make

"""End-to-end fixtures: a live chatpins server driven over HTTP.

The server is a black box: it is started as a subprocess (`python -m chatpins ...`), provisioned
through the native `/v1` API with plain httpx, and exercised through the official Feishu SDK
(lark-oapi). Nothing from the `chatpins` package is imported here.

Isolation: the database is shared by the whole session (one per backend); every test provisions a
fresh app. This is also required by lark-oapi, whose tenant-token cache is process-wide and keyed
by app_id only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import lark_oapi as lark
import pytest

from tests.e2e.feishu_client import Feishu, build_lark_client
from tests.e2e.live_server import (
    Server,
    ServerProcess,
    admin_client,
    create_app,
    database_url_for,
    remove_webhooks,
)

# Webhook receivers in tests listen on loopback, which production mode (PostgreSQL) refuses by
# default; the test controls (app clocks, fault rules, reset) are off there by default too: the
# shared servers have both on both backends alike.
SHARED_SERVER_ENV = {"CHATPINS_WEBHOOK_ALLOW_PRIVATE": "true", "CHATPINS_TEST_CONTROLS": "true"}


@pytest.fixture(
    scope="session",
    params=[
        pytest.param("sqlite", id="sqlite", marks=pytest.mark.sqlite),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    backend: str = request.param
    tmp_dir = tmp_path_factory.mktemp(f"chatpins-{backend}")
    process = ServerProcess(
        database_url_for(backend, tmp_dir), tmp_dir, extra_env=SHARED_SERVER_ENV
    )
    process.start()
    try:
        yield Server(backend, process)
    finally:
        process.stop()


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite", marks=pytest.mark.sqlite)])
def restartable_server(tmp_path: Path) -> Iterator[Server]:
    """A private server on its own temporary SQLite file, for tests that restart it."""
    process = ServerProcess(f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}", tmp_path)
    process.start()
    try:
        yield Server("sqlite", process)
    finally:
        process.stop()


@pytest.fixture(scope="session")
def admin(server: Server) -> Iterator[httpx.Client]:
    with admin_client(server) as client:
        yield client


@pytest.fixture
def feishu_factory(
    server: Server, admin: httpx.Client, request: pytest.FixtureRequest
) -> Iterator[Callable[[], Feishu]]:
    """Provision a new app (fresh app_id) and wrap it; call several times for several tenants.
    The webhooks the test registered for its apps are deleted after it (``remove_webhooks``)."""
    counter = iter(range(1000))
    made: list[str] = []

    def make() -> Feishu:
        app = create_app(admin, f"e2e {request.node.name} #{next(counter)}")
        made.append(app["id"])
        client = build_lark_client(
            server.base_url, app["feishu"]["app_id"], app["feishu"]["app_secret"]
        )
        return Feishu(server.base_url, admin, app, client)

    yield make
    for app_id in made:
        remove_webhooks(admin, app_id)


@pytest.fixture
def restartable_feishu(
    restartable_server: Server, request: pytest.FixtureRequest
) -> Iterator[Feishu]:
    """A fresh app on `restartable_server`."""
    with admin_client(restartable_server) as admin:
        app = create_app(admin, f"e2e {request.node.name}")
        client = build_lark_client(
            restartable_server.base_url, app["feishu"]["app_id"], app["feishu"]["app_secret"]
        )
        yield Feishu(restartable_server.base_url, admin, app, client)


@pytest.fixture
def feishu(feishu_factory: Callable[[], Feishu]) -> Feishu:
    return feishu_factory()


@pytest.fixture
def app(feishu: Feishu) -> dict[str, Any]:
    """The native JSON of this test's app (the same app as `feishu` and `lark_client`)."""
    return feishu.app


@pytest.fixture
def lark_client(feishu: Feishu) -> lark.Client:
    return feishu.client


@pytest.fixture
def make_user(feishu: Feishu) -> Callable[..., dict[str, Any]]:
    return feishu.add_user


@pytest.fixture
def user_token(feishu: Feishu) -> Callable[[str], str]:
    return feishu.user_token

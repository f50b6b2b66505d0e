"""ZIM end-to-end fixtures: a fresh app per test, driven by the independent client."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.e2e.live_server import Server, create_app
from tests.e2e.zim.client import Zim


@pytest.fixture
def zim_factory(
    server: Server, admin: httpx.Client, request: pytest.FixtureRequest
) -> Iterator[Callable[[], Zim]]:
    clients: list[httpx.Client] = []

    def make() -> Zim:
        app = create_app(admin, f"e2e zim {request.node.name} #{len(clients)}")
        http = httpx.Client(base_url=server.base_url, timeout=30.0)
        clients.append(http)
        return Zim(server.base_url, app["zim"]["app_id"], app["zim"]["server_secret"], http)

    yield make
    for http in clients:
        http.close()


@pytest.fixture
def zim(zim_factory: Callable[[], Zim]) -> Zim:
    return zim_factory()

"""Test controls end to end: servers started with them on (both backends) and off.

The shared ``server`` runs in production mode on PostgreSQL, where test controls are off by
default: these tests start servers of their own with ``CHATPINS_TEST_CONTROLS`` set. Each
test provisions fresh apps through the admin API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.live_server import (
    Server,
    ServerProcess,
    admin_client,
    create_app,
    database_url_for,
)

BACKENDS = [
    pytest.param("sqlite", id="sqlite", marks=pytest.mark.sqlite),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def _serve(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, test_controls: str
) -> Iterator[Server]:
    backend: str = request.param
    tmp_dir = tmp_path_factory.mktemp(f"controls-{test_controls}-{backend}")
    env = {"CHATPINS_TEST_CONTROLS": test_controls}
    process = ServerProcess(database_url_for(backend, tmp_dir), tmp_dir, env)
    process.start()
    try:
        yield Server(backend, process)
    finally:
        process.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def controlled_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server with test controls on."""
    yield from _serve(request, tmp_path_factory, "true")


@pytest.fixture(scope="session", params=BACKENDS)
def closed_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server with test controls off."""
    yield from _serve(request, tmp_path_factory, "false")


@pytest.fixture(scope="session")
def controls_admin(controlled_server: Server) -> Iterator[httpx.Client]:
    with admin_client(controlled_server) as client:
        yield client


@pytest.fixture
def new_app(
    controls_admin: httpx.Client, request: pytest.FixtureRequest
) -> Callable[[], dict[str, Any]]:
    """Make a fresh app on the controlled server (every call another)."""
    counter = iter(range(100))

    def make() -> dict[str, Any]:
        return create_app(controls_admin, f"{request.node.name} #{next(counter)}")

    return make

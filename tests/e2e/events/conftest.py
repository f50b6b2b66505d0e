"""Fixtures for the live event stream: IMKit apps to make events (the `imkit` fixtures), and a
private server with small limits for the edge cases."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from tests.e2e.events.apps import imkit_app
from tests.e2e.imkit.conftest import IMKit, imkit, imkit_factory  # noqa: F401
from tests.e2e.live_server import Server, ServerProcess

# The tuned server: a full queue after 8 undelivered events, a heartbeat after 0.3 s of quiet.
TUNED_QUEUE_SIZE = 8
TUNED_HEARTBEAT_S = 0.3
# ... and a client whose socket stays full for 1 s is dropped.
TUNED_SEND_TIMEOUT_S = 1.0


@contextlib.contextmanager
def tuned(
    tmp_path_factory: pytest.TempPathFactory, name: str, send_timeout_s: float
) -> Iterator[Server]:
    """A private SQLite server with a small per-subscriber queue, a short heartbeat and the
    given send timeout."""
    tmp_dir = tmp_path_factory.mktemp(f"chatpins-{name}")
    env = {
        "CHATPINS_WS_QUEUE_SIZE": str(TUNED_QUEUE_SIZE),
        "CHATPINS_WS_HEARTBEAT_SECONDS": str(TUNED_HEARTBEAT_S),
        "CHATPINS_WS_SEND_TIMEOUT_SECONDS": str(send_timeout_s),
    }
    process = ServerProcess(f"sqlite+aiosqlite:///{tmp_dir / f'{name}.db'}", tmp_dir, env)
    process.start()
    try:
        yield Server("sqlite", process)
    finally:
        process.stop()


@pytest.fixture(scope="package")
def tuned_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with tuned(tmp_path_factory, "tuned", TUNED_SEND_TIMEOUT_S) as server:
        yield server


@pytest.fixture
def tuned_imkit(tuned_server: Server, request: pytest.FixtureRequest) -> Iterator[IMKit]:
    """A fresh app on `tuned_server`."""
    with imkit_app(tuned_server, request.node.name) as app:
        yield app

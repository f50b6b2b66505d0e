"""The pytest plugin (entry point ``pytest11``): fixtures ``chatpins_server`` (one real server
per test session) and ``chatpins_app`` (a fresh app per test, so tests never share state).

Options: ``--chatpins-database-url`` (or ``chatpins_database_url`` in the ini file) runs the
same tests against PostgreSQL; unset, the server uses a temporary SQLite database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chatpins.testing._app import ChatpinsApp
from chatpins.testing._server import ChatpinsServer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chatpins")
    help_text = "database of the chatpins_server fixture (default: a temporary SQLite file)"
    group.addoption("--chatpins-database-url", dest="chatpins_database_url", help=help_text)
    parser.addini("chatpins_database_url", help_text)


class PytestChatpinsApp(ChatpinsApp):
    """A test's app: a client whose optional library is missing skips the test, saying why."""

    def lark_client(self) -> Any:
        try:
            import lark_oapi  # noqa: F401
        except ImportError:
            pytest.skip("lark-oapi is not installed: pip install lark-oapi")
        return super().lark_client()


@pytest.fixture(scope="session")
def chatpins_server(pytestconfig: pytest.Config) -> Iterator[ChatpinsServer]:
    """A real chatpins server for the session: ``.url``, ``.admin_key``, ``.stop()``."""
    url = pytestconfig.getoption("chatpins_database_url") or pytestconfig.getini(
        "chatpins_database_url"
    )
    running = ChatpinsServer(database_url=url or None).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def chatpins_app(
    chatpins_server: ChatpinsServer, request: pytest.FixtureRequest
) -> Iterator[PytestChatpinsApp]:
    """A fresh app for this test, with credentials for every dialect and the native API."""
    reply = chatpins_server.admin.post("/v1/apps", json={"name": request.node.name[:255]})
    if reply.is_error:
        raise RuntimeError(f"creating the test's app: {reply.status_code} {reply.text}")
    app = PytestChatpinsApp(chatpins_server.url, chatpins_server.admin, reply.json())
    try:
        yield app
    finally:
        app.close()

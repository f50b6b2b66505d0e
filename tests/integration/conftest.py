"""Core use cases against real databases: SQLite (a temp file) and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from chatpins.app import build_deps
from chatpins.core.context import Actor, Deps
from chatpins.core.services import apps, users
from chatpins.storage import migrate
from chatpins.storage.database import Database
from tests.databases import fresh_database

POSTGRES_URL = os.environ.get("CHATPINS_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("CHATPINS_REQUIRE_POSTGRES") == "1"


def _postgres_param():  # type: ignore[no-untyped-def]
    if POSTGRES_URL or REQUIRE_POSTGRES:
        return pytest.param("postgres", id="postgres")
    reason = "CHATPINS_TEST_POSTGRES_URL not set"
    return pytest.param("postgres", id="postgres", marks=pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session", params=["sqlite", _postgres_param()])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'chatpins.db'}"
        migrate.upgrade(url)
        yield url
        return
    if not POSTGRES_URL:
        pytest.fail("CHATPINS_REQUIRE_POSTGRES=1 but CHATPINS_TEST_POSTGRES_URL is not set")
    # A database of its own: the live servers of the same test run use the one the URL names,
    # and their webhook workers lease every due delivery in it, this suite's too.
    with fresh_database(POSTGRES_URL, "chatpins_core") as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
async def deps(database_url: str):  # type: ignore[no-untyped-def]
    db = Database(database_url)
    yield build_deps(db)
    await db.dispose()


@pytest.fixture
async def bot(deps: Deps) -> Actor:
    """A fresh app, acting through its bot as Feishu calls do."""
    new = await apps.create_app(deps, "test")
    user = await users.get_users(deps, new.app.id, [new.app.bot_user_id])
    return Actor(new.app, user[new.app.bot_user_id], "feishu", requires_app_bot=True)


async def as_user(deps: Deps, bot: Actor, user_id: str) -> Actor:
    user = await users.create_user(deps, bot.app_id, user_id, user_id.title())
    return Actor(bot.app, user, "feishu", requires_app_bot=True)

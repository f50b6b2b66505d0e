"""The suite runs in parallel workers (pytest-xdist, see pyproject's addopts).

- Each worker gets a PostgreSQL database of its own, beside the one
  ``CHATPINS_TEST_POSTGRES_URL`` names, so the servers of one worker never see another's rows
  (their webhook workers lease every due delivery of their database, their sweepers expire
  every due pin).
- A module whose tests share a module-, class- or package-scoped fixture runs in one worker
  (``--dist loadgroup``, one group per module), so what they share starts once; the
  multi-instance package is one group, for the same reason. Every other test goes to whichever
  worker is free: their servers are session-scoped, started once per worker anyway, and a long
  module (the OpenAPI contract) no longer holds one worker while the other idles.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

# Packages whose modules share package-scoped fixtures (the multi-instance servers; the
# console's browser): one group for the whole package.
_PACKAGE_GROUPS = (Path("tests", "e2e", "multi"), Path("tests", "e2e", "console"))

_URL_VARIABLES = ("CHATPINS_TEST_POSTGRES_URL", "CHATPINS_TEST_PGBOUNCER_URL")
_created: list[tuple[str, str]] = []  # (admin dsn, database) made by this worker


def _with_database(url: str, name: str) -> str:
    base, _, rest = url.rpartition("/")
    query = rest.partition("?")[2]
    return f"{base}/{name}" + (f"?{query}" if query else "")


async def _admin(dsn: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def pytest_configure(config: pytest.Config) -> None:
    worker = getattr(config, "workerinput", {}).get("workerid")
    url = os.environ.get("CHATPINS_TEST_POSTGRES_URL")
    if worker is None or not url:
        return
    shared = url.rpartition("/")[2].partition("?")[0]
    name = f"{shared}_{worker}"
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    asyncio.run(
        _admin(dsn, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
    )
    _created.append((dsn, name))
    for variable in _URL_VARIABLES:
        if os.environ.get(variable):
            os.environ[variable] = _with_database(os.environ[variable], name)


def pytest_unconfigure(config: pytest.Config) -> None:
    for dsn, name in _created:
        asyncio.run(_admin(dsn, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    _created.clear()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(config.rootpath)
    for item in items:
        module = item.path.relative_to(root)
        group = next((p for p in _PACKAGE_GROUPS if module.is_relative_to(p)), None)
        if group is None and _shares_fixtures(item):
            group = module
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(str(group)))


_SHARED_SCOPES = ("class", "module", "package")


def _shares_fixtures(item: pytest.Item) -> bool:
    """Whether the test uses a fixture its module's other tests share (started again in each
    worker that runs one of them)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return True
    return any(defs[-1].scope in _SHARED_SCOPES for defs in info.name2fixturedefs.values() if defs)

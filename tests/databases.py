"""Databases of the tests' own, beside the one ``CHATPINS_TEST_POSTGRES_URL`` names."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Iterator


@contextlib.contextmanager
def fresh_database(url: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database beside the one ``url`` names, dropped afterwards: for
    a server or command that must not share the session's database."""
    import asyncpg

    name = f"{prefix}_{secrets.token_hex(4)}"
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f"CREATE DATABASE {name}"))
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

"""Engine creation and the per-backend connection rules (SQLite pragmas, write serialisation)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from chatpins.storage.sqlite_inline import connector

WRITE_OPTION = "chatpins_write"


class Database:
    """One engine plus what a unit of work needs to use it safely on this backend."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL") -> None:
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self.engine: AsyncEngine = (
            _sqlite_engine(url, sqlite_synchronous) if self.is_sqlite else _postgres_engine(url)
        )
        # SQLite has one writer at a time. Queueing writers here, in the event loop, is far
        # cheaper than letting them spin on SQLITE_BUSY; busy_timeout still covers other
        # processes (the CLI beside a running server).
        self._write_lock: asyncio.Lock | None = None

    @property
    def write_lock(self) -> asyncio.Lock | None:
        if not self.is_sqlite:
            return None
        if self._write_lock is None:
            self._write_lock = asyncio.Lock()
        return self._write_lock

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_engine(url: str, synchronous: str) -> AsyncEngine:
    # Statements run on the event loop's thread (see sqlite_inline): no thread hop each.
    path = make_url(url).database or ":memory:"
    engine = create_async_engine(
        url, async_creator=connector(path, synchronous), pool_size=8, max_overflow=8
    )

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer takes the write lock at BEGIN, so the checks it makes cannot be invalidated
        # by another writer before it commits.
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _postgres_engine(url: str) -> AsyncEngine:
    return create_async_engine(url, pool_size=10, max_overflow=30, pool_pre_ping=True)

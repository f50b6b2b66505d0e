"""Engine creation and the per-backend connection rules (SQLite pragmas, write serialisation)."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

from chatpins.storage.sqlite_inline import sqlite_engine

if TYPE_CHECKING:
    from chatpins.storage.uow import Committed

__all__ = ["Backend", "Database", "PoolUse"]

# ``postgresql+asyncpg://…/db?pgbouncer=true``: the database is reached through PgBouncer in
# transaction mode (the same parameter as Prisma's); taken out of the URL before connecting.
PGBOUNCER_PARAM = "pgbouncer"
POSTGRES_WRITERS = 4  # concurrent write transactions per process (measured best of 2, 4, 8)


class Backend(enum.Enum):
    """Which database a URL names: decided once, in ``Database``, and read from there by the
    unit of work and the repositories (any other URL is treated as PostgreSQL)."""

    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"

    @classmethod
    def of(cls, url: str) -> Backend:
        is_sqlite = make_url(url).get_backend_name() == "sqlite"
        return cls.SQLITE if is_sqlite else cls.POSTGRESQL

    @property
    def row_locks(self) -> bool:
        """Whether ``SELECT ... FOR UPDATE`` locks rows until commit. PostgreSQL: yes.
        SQLite: no such clause, and none needed: a writer holds the database's one write
        lock from BEGIN IMMEDIATE, so what it reads is already stable."""
        return self is Backend.POSTGRESQL


@dataclass(frozen=True)
class PoolUse:
    """The pool units of work take connections from: how many are in use, and its size (the
    connections it keeps open; under load it opens more, up to its ``max_overflow``)."""

    checked_out: int
    size: int


class Database:
    """One engine plus what a unit of work needs to use it safely on this backend."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL") -> None:
        self.url = url
        self.backend = Backend.of(url)
        self.is_sqlite = self.backend is Backend.SQLITE
        self.engine: AsyncEngine = (
            _sqlite_engine(url, sqlite_synchronous) if self.is_sqlite else _postgres_engine(url)
        )
        # SQLite: units of work run their statements inline (see sqlite_inline).
        self.sync_engine = (
            sqlite_engine(make_url(url).database or ":memory:", sqlite_synchronous)
            if self.is_sqlite
            else None
        )
        # SQLite has one writer at a time. Queueing writers here, in the event loop, is far
        # cheaper than letting them spin on SQLITE_BUSY; busy_timeout still covers other
        # processes (the CLI beside a running server).
        self._write_lock: asyncio.Semaphore | None = None
        # Told what each committed unit of work wrote (metrics); never of a rollback.
        self.commit_observers: list[Callable[[Committed], None]] = []

    def pool_use(self) -> PoolUse:
        """Read when metrics are scraped: the pool of the engine units of work use."""
        engine = self.sync_engine if self.sync_engine is not None else self.engine.sync_engine
        pool = engine.pool
        if not isinstance(pool, QueuePool):  # a pool without a size (NullPool): none kept
            return PoolUse(0, 0)
        return PoolUse(pool.checkedout(), pool.size())

    @property
    def write_lock(self) -> asyncio.Semaphore:
        """Writers queue here, in the process, before they take a connection.

        SQLite: one at a time (its one writer). PostgreSQL: a few at a time. Hot writes meet
        on one row (a chat's pins), and a writer waiting there holds a pooled connection while
        the lock holder waits for the event loop: with every connection held by a waiter, a
        convoy formed (p99 in seconds at 64 concurrent pins of one chat). A waiter queued here
        costs nothing.
        """
        if self._write_lock is None:
            self._write_lock = asyncio.Semaphore(1 if self.is_sqlite else POSTGRES_WRITERS)
        return self._write_lock

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.sync_engine is not None:
            self.sync_engine.dispose()


def _sqlite_engine(url: str, synchronous: str) -> AsyncEngine:
    """The async engine, for migrations and tools; units of work use ``sync_engine``."""
    engine = create_async_engine(url, pool_size=2, max_overflow=2)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def _postgres_engine(url: str) -> AsyncEngine:
    given = make_url(url)
    behind_pgbouncer = str(given.query.get(PGBOUNCER_PARAM, "")).lower() in ("true", "1")
    # PgBouncer in transaction mode hands each transaction to any server connection, so a
    # statement prepared in one may be missing, or named twice, in the next. Without either
    # statement cache, asyncpg and SQLAlchemy use only the unnamed statement, which each Parse
    # replaces: nothing is kept across transactions and nothing piles up on the servers.
    # Each statement is then parsed on every use — the price of pooling.
    no_prepared_statements = {"statement_cache_size": 0, "prepared_statement_cache_size": 0}
    return create_async_engine(
        given.difference_update_query([PGBOUNCER_PARAM]),
        pool_size=10,
        max_overflow=30,
        pool_pre_ping=True,
        connect_args=no_prepared_statements if behind_pgbouncer else {},
    )

"""SQLite for units of work, on the event loop's own thread.

Through aiosqlite every statement is handed to a worker thread and its result handed back:
~0.3 ms per statement on a busy loop, where SQLAlchemy on sqlite3 directly takes ~0.04 ms, and
a pin runs a dozen statements. SQLite answers from the page cache in microseconds, so units of
work use a plain (synchronous) SQLAlchemy engine and run each statement inline. Two things
must still never hold the loop for long, and don't:

- lock waits: connections have no busy timeout; a statement that finds the database locked
  (another process writing: the CLI, a second instance on the same file) yields to the loop and
  retries with back-off, for up to ``BUSY_TIMEOUT_S``, like SQLite's busy handler would;
- fsync: committing a transaction that wrote something runs on one worker thread, so other
  requests go on meanwhile; a read-only transaction ends inline.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import QueuePool

from chatpins.storage import direct

T = TypeVar("T")

BUSY_TIMEOUT_S = 30.0
_FIRST_WAIT_S, _LONGEST_WAIT_S = 0.001, 0.05
WRITE_OPTION = "chatpins_write"

# Statements compiled for the direct path (see ``direct``), one per marked statement.
_PLANS: dict[Any, Any] = {}

# Commits that fsync run here: one thread, as SQLite has one writer at a time anyway.
_COMMITS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-commit")


def _locked(error: Exception) -> bool:
    text = str(getattr(error, "orig", error))
    return "locked" in text or "busy" in text


async def _retrying(call: Callable[[], T]) -> T:
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    wait = _FIRST_WAIT_S
    while True:
        try:
            return call()
        except (OperationalError, sqlite3.OperationalError) as error:
            if not _locked(error) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(wait)
        wait = min(wait * 2, _LONGEST_WAIT_S)


def _commit_retrying(connection: sa.Connection) -> None:
    """On the commit thread, where blocking is fine: wait out another process's lock."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            connection.commit()
            return
        except OperationalError as error:
            if not _locked(error) or time.monotonic() >= deadline:
                raise
            time.sleep(_FIRST_WAIT_S * 10)


def sqlite_engine(path: str, synchronous: str) -> sa.Engine:
    """A WAL engine whose transactions we begin ourselves: BEGIN IMMEDIATE for writers."""

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0)
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        for pragma in ("journal_mode=WAL", f"synchronous={synchronous}", "busy_timeout=0"):
            while True:  # at start-up only; switching to WAL may briefly need the lock
                try:
                    connection.execute(f"PRAGMA {pragma}")
                    break
                except sqlite3.OperationalError as error:
                    if not _locked(error) or time.monotonic() >= deadline:
                        raise
                    time.sleep(_FIRST_WAIT_S * 10)
        return connection

    engine = sa.create_engine(
        f"sqlite:///{path}", creator=connect, poolclass=QueuePool, pool_size=8, max_overflow=8
    )

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # A writer takes the write lock at BEGIN, so the checks it makes cannot be invalidated
        # by another writer before it commits.
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


class InlineConnection:
    """What repositories see: an awaitable ``execute`` over a synchronous connection."""

    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection
        self._changes_at_begin = self._changes()
        self._dbapi = connection.connection.dbapi_connection

    @classmethod
    async def begin(cls, engine: sa.Engine, *, write: bool) -> InlineConnection:
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        wait = _FIRST_WAIT_S
        while True:
            connection = engine.connect()
            if write:
                connection.execution_options(**{WRITE_OPTION: True})
            try:
                connection.begin()
                return cls(connection)
            except OperationalError as error:
                connection.close()
                if not _locked(error) or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(wait)
            wait = min(wait * 2, _LONGEST_WAIT_S)

    def _changes(self) -> int:
        dbapi = self._connection.connection.dbapi_connection
        return dbapi.total_changes if dbapi is not None else 0

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        plan = direct.plan_for(statement, parameters, self._connection.dialect, _PLANS)
        values = plan.values(parameters) if plan is not None else None
        if plan is not None and values is not None and self._dbapi is not None:
            dbapi = self._dbapi
            return await _retrying(lambda: plan.run(dbapi, values))
        return await _retrying(lambda: self._connection.execute(statement, parameters))

    async def commit(self) -> None:
        if self._changes() != self._changes_at_begin:  # something to make durable: fsync
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(_COMMITS, _commit_retrying, self._connection)
        else:
            self._connection.commit()

    async def rollback(self) -> None:
        self._connection.rollback()

    async def close(self) -> None:
        self._connection.close()

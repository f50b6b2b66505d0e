"""SQLite for the async engine without a thread hop per statement.

aiosqlite runs every statement on a worker thread and hands the result back to the event loop:
~0.3 ms per statement on a busy loop, against ~0.04 ms for SQLAlchemy on sqlite3 directly, and a
pin runs a dozen statements. SQLite itself answers from the page cache in microseconds, so here
statements run on the loop's own thread. This module quacks like ``aiosqlite.Connection`` (the
driver-level API SQLAlchemy's aiosqlite dialect adapts), and is handed to the engine as its
``async_creator``.

Two things must never block the loop for long, and don't:
- lock waits: the connection has no busy timeout; a statement that finds the database locked
  (another process writing: the CLI, a second instance) yields and retries with back-off, for
  up to ``BUSY_TIMEOUT_S``, like SQLite's own busy handler but without stopping the loop;
- fsync: a commit that wrote something runs on a worker thread (one hop per write transaction),
  so other requests go on meanwhile; a read-only commit ends inline.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

BUSY_TIMEOUT_S = 30.0
_FIRST_WAIT_S, _LONGEST_WAIT_S = 0.001, 0.05

# Commits that fsync run here: one thread, as SQLite has one writer at a time anyway.
_COMMITS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-commit")


def _locked(error: sqlite3.OperationalError) -> bool:
    text = str(error)
    return "locked" in text or "busy" in text


async def _retrying(call: Callable[..., T], *args: Any) -> T:
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    wait = _FIRST_WAIT_S
    while True:
        try:
            return call(*args)
        except sqlite3.OperationalError as error:
            if not _locked(error) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(wait)
        wait = min(wait * 2, _LONGEST_WAIT_S)


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        await _retrying(self._cursor.execute, sql, parameters if parameters is not None else ())
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        await _retrying(self._cursor.executemany, sql, list(parameters))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size) if size is not None else self._cursor.fetchmany()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """The driver-level connection: ``_connection`` is the sqlite3 connection (the name
    SQLAlchemy's adapter looks for)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._changes_at_end = connection.total_changes

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._connection.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        connection = self._connection
        if connection.in_transaction and connection.total_changes != self._changes_at_end:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(_COMMITS, _commit_retrying, connection)
        else:
            await _retrying(connection.commit)
        self._changes_at_end = connection.total_changes

    async def rollback(self) -> None:
        self._connection.rollback()
        self._changes_at_end = self._connection.total_changes

    async def close(self) -> None:
        self._connection.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._connection.create_function(*args, **kwargs)


def _commit_retrying(connection: sqlite3.Connection) -> None:
    """On the commit thread, where blocking is fine: wait out another process's lock."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            connection.commit()
            return
        except sqlite3.OperationalError as error:
            if not _locked(error) or time.monotonic() >= deadline:
                raise
            time.sleep(_FIRST_WAIT_S * 10)


def connector(path: str, synchronous: str) -> Callable[[], Any]:
    """The engine's ``async_creator``: a WAL connection we control transactions on (BEGIN is
    issued by the engine's ``begin`` hook: IMMEDIATE for writers)."""

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0)
        for pragma in ("journal_mode=WAL", f"synchronous={synchronous}", "busy_timeout=0"):
            await _retrying(connection.execute, f"PRAGMA {pragma}")
        return InlineConnection(connection)

    return connect

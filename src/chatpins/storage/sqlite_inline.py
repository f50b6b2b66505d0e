"""SQLite for units of work, on the event loop's own thread.

Through aiosqlite every statement is handed to a worker thread and its result handed back:
~0.3 ms per statement on a busy loop, where SQLAlchemy on sqlite3 directly takes ~0.04 ms, and
a pin runs a dozen statements. SQLite answers from the page cache in microseconds, so units of
work take a sqlite3 connection from a plain (synchronous) SQLAlchemy pool, begin and end their
transaction on it and run each statement inline. Two things must still never hold the loop
for long, and don't:

- lock waits: connections have no busy timeout; a statement that finds the database locked
  (another process writing: the CLI, a second instance on the same file) yields to the loop and
  retries with back-off, for up to ``BUSY_TIMEOUT_S``, like SQLite's busy handler would;
- fsync: committing a transaction that wrote something runs on one commit thread, so other
  requests go on meanwhile; a read-only transaction ends inline.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import QueuePool

from chatpins.storage import direct

T = TypeVar("T")

BUSY_TIMEOUT_S = 30.0
_FIRST_WAIT_S, _LONGEST_WAIT_S = 0.001, 0.05

# Statements compiled for the direct path (see ``direct``), one per marked statement.
_PLANS: dict[Any, Any] = {}


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


def _commit_retrying(dbapi: sqlite3.Connection) -> None:
    """On the commit thread, where blocking is fine: wait out another process's lock."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            _commit(dbapi)
            return
        except OperationalError as error:
            if not _locked(error) or time.monotonic() >= deadline:
                raise
            time.sleep(_FIRST_WAIT_S * 10)


def _commit(dbapi: sqlite3.Connection) -> None:
    """COMMIT, a refusal raised as SQLAlchemy's error (the unit of work maps those)."""
    try:
        dbapi.commit()
    except sqlite3.Error as error:
        raise sa.exc.DBAPIError.instance("COMMIT", None, error, sqlite3.Error) from error


class _CommitThread:
    """The one thread where commits that fsync run (SQLite has one writer at a time anyway).

    A queue and ``call_soon_threadsafe``: through ``run_in_executor`` each commit also made a
    concurrent future, wrapped it in an asyncio one and took the executor's semaphore, ~3% of
    a pin's CPU on the loop's thread."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[
            tuple[Any, asyncio.Future[None], sqlite3.Connection | None]
        ] = queue.SimpleQueue()
        self._started = threading.Lock()
        self._thread: threading.Thread | None = None

    def commit(self, dbapi: sqlite3.Connection | None) -> asyncio.Future[None]:
        """Queue ``dbapi``'s COMMIT (None: nothing, a marker); the future settles with its
        outcome."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        if self._thread is None:
            self._start()
        self._jobs.put((loop, done, dbapi))
        return done

    def _start(self) -> None:
        with self._started:
            if self._thread is None:
                # A daemon: a commit cut short at exit is rolled back by SQLite, and nobody
                # was told it happened.
                self._thread = threading.Thread(target=self._run, name="sqlite-commit", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            loop, done, dbapi = self._jobs.get()
            error: BaseException | None = None
            try:
                if dbapi is not None:
                    _commit_retrying(dbapi)
            except BaseException as exc:  # handed to the waiting unit of work
                error = exc
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_settle, done, error)


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.cancelled():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


_COMMITS = _CommitThread()


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

    # The pool only keeps connections: units of work begin and end their transactions on the
    # driver (see ``InlineConnection``).
    # ``close`` ends any transaction still open, so the pool's own reset (a ROLLBACK on every
    # return) is not needed.
    return sa.create_engine(
        f"sqlite:///{path}",
        creator=connect,
        poolclass=QueuePool,
        pool_size=8,
        max_overflow=8,
        pool_reset_on_return=None,
    )


class InlineConnection:
    """What repositories see: an awaitable ``execute`` over a synchronous connection.

    The transaction is begun and ended on the driver: through SQLAlchemy's ``Connection`` a
    ``begin``, its event, the commit and the close cost about a tenth of a pin's CPU. Marked
    statements run on the driver too (``direct``); any other statement gets a SQLAlchemy
    ``Connection`` over the same driver connection, made when first needed.
    """

    def __init__(self, engine: sa.Engine, pooled: Any) -> None:
        self._engine = engine
        self._dialect = engine.dialect
        self._pooled = pooled  # the pool's proxy: closing it gives the connection back
        self._dbapi: sqlite3.Connection = pooled.dbapi_connection
        self._changes_at_begin = self._dbapi.total_changes
        self._sqlalchemy: sa.Connection | None = None

    @classmethod
    async def begin(cls, engine: sa.Engine, *, write: bool) -> InlineConnection:
        # A writer takes the write lock at BEGIN, so the checks it makes cannot be invalidated
        # by another writer before it commits.
        begin = "BEGIN IMMEDIATE" if write else "BEGIN"
        pooled = engine.raw_connection()
        dbapi = pooled.dbapi_connection
        assert dbapi is not None  # a connection just checked out of the pool
        try:
            await _retrying(lambda: dbapi.execute(begin))
        except BaseException:
            pooled.close()
            raise
        return cls(engine, pooled)

    @property
    def _connection(self) -> sa.Connection:
        """SQLAlchemy over this transaction's connection, for statements the direct path
        does not run. Its own transaction object only mirrors ours: BEGIN was sent already
        (pysqlite's dialect sends none), and COMMIT or ROLLBACK go to the driver."""
        if self._sqlalchemy is None:
            self._sqlalchemy = sa.Connection(self._engine, connection=self._pooled)
        return self._sqlalchemy

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        plan = direct.plan_for(statement, parameters, self._dialect, _PLANS)
        values = plan.values(parameters) if plan is not None else None
        if plan is not None and values is not None:
            dbapi = self._dbapi
            try:  # at once: the lock is free nearly always, and a retry loop costs a coroutine
                return plan.run(dbapi, values)
            except OperationalError as error:
                if not _locked(error):
                    raise
            return await _retrying(lambda: plan.run(dbapi, values))
        return await _retrying(lambda: self._connection.execute(statement, parameters))

    async def commit(self) -> None:
        if self._dbapi.total_changes == self._changes_at_begin:  # nothing to make durable
            _commit(self._dbapi)
            return
        try:
            await _COMMITS.commit(self._dbapi)
        except asyncio.CancelledError:
            # The connection is the commit thread's until it is done with it: only then may
            # it be closed and go back to the pool. Jobs run in order, so once an empty job
            # queued now is done, so is this commit.
            marker = _COMMITS.commit(None)
            while not marker.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(marker)
            raise

    async def rollback(self) -> None:
        self._dbapi.rollback()

    async def close(self) -> None:
        if self._dbapi.in_transaction:  # a commit that failed: nothing may outlive the unit
            self._dbapi.rollback()
        if self._sqlalchemy is not None:
            # Its transaction object ends too; the driver has no transaction left to end.
            self._sqlalchemy.close()
        else:
            self._pooled.close()

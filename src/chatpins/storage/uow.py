"""The unit of work: one transaction, the repositories bound to it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from chatpins.core.entities import Event, PinChange
from chatpins.core.errors import Conflict, Reason
from chatpins.storage.database import Database
from chatpins.storage.repositories import (
    AckRepository,
    AppRepository,
    ChatRepository,
    ConversationPinRepository,
    DeliveryRepository,
    EventRepository,
    GlobalPinRepository,
    IdempotencyRepository,
    MemberRepository,
    MessageRepository,
    NonceRepository,
    PinRepository,
    ServerSettingRepository,
    TokenRepository,
    UserRepository,
    WebhookRepository,
)
from chatpins.storage.repositories._base import Connection
from chatpins.storage.sqlite_inline import InlineConnection

# Told (app id, newest seq) after a commit that wrote events, so live streams wake at once.
EventsCommitted = Callable[[str, int], None]


@dataclass(frozen=True)
class Committed:
    """What one committed unit of work wrote, for ``Database.commit_observers`` (metrics):
    its events by type and its pin history rows by action."""

    events: Mapping[str, int]
    pin_changes: Mapping[str, int]


class _TalliedEvents(EventRepository):
    """The outbox, counting by type what this transaction appends."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        self.types: Counter[str] = Counter()

    async def append(self, app_id: str, event: Event, at: int) -> int:
        seq = await super().append(app_id, event, at)
        self.types[event.type] += 1
        return seq


class _TalliedPins(PinRepository):
    """The pins, counting by action the history rows this transaction records."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        self.actions: Counter[str] = Counter()

    async def record(self, app_id: str, change: PinChange) -> None:
        await super().record(app_id, change)
        self.actions[str(change.action)] += 1


class AsyncConnectionFace:
    """PostgreSQL (asyncpg): SQLAlchemy's async connection, begun for a unit of work."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    @classmethod
    async def begin(cls, engine: AsyncEngine) -> AsyncConnectionFace:
        connection = await engine.connect()
        try:
            await connection.begin()
        except BaseException:
            await connection.close()
            raise
        return cls(connection)

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        return await self._connection.execute(statement, parameters)

    async def commit(self) -> None:
        await self._connection.commit()

    async def rollback(self) -> None:
        await self._connection.rollback()

    async def close(self) -> None:
        await self._connection.close()


class SqlUnitOfWork:
    """``async with uow:`` commits on a clean exit and rolls back on any exception."""

    def __init__(
        self,
        db: Database,
        *,
        write: bool,
        on_events: EventsCommitted | None,
        on_identities: Callable[[], None] | None,
    ) -> None:
        self._db = db
        self._on_events = on_events
        self._on_identities = on_identities
        self._write = write
        self._conn: Connection | None = None
        self._locked = False

    async def __aenter__(self) -> SqlUnitOfWork:
        lock = self._db.write_lock if self._write else None
        if lock is not None:
            await lock.acquire()
            self._locked = True
        try:
            if self._db.sync_engine is not None:
                conn: Connection = await InlineConnection.begin(
                    self._db.sync_engine, write=self._write
                )
            else:
                conn = await AsyncConnectionFace.begin(self._db.engine)
        except BaseException:
            self._release()
            raise
        self._conn = conn
        backend = self._db.backend
        self.row_locks = backend.row_locks
        self.apps = AppRepository(conn)
        self.users = UserRepository(conn)
        self.chats = ChatRepository(conn, row_locks=backend.row_locks)
        self.members = MemberRepository(conn)
        self.messages = MessageRepository(conn)
        self.pins = _TalliedPins(conn)
        self.tokens = TokenRepository(conn)
        self.events = _TalliedEvents(conn)
        self.server = ServerSettingRepository(conn)
        self.conversation_pins = ConversationPinRepository(conn, row_locks=backend.row_locks)
        self.global_pins = GlobalPinRepository(conn, row_locks=backend.row_locks)
        self.nonces = NonceRepository(conn, backend)
        self.webhooks = WebhookRepository(conn)
        self.deliveries = DeliveryRepository(conn)
        self.acks = AckRepository(conn)
        self.idempotency = IdempotencyRepository(conn)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        try:
            if exc_type is None:
                await self._conn.commit()
            else:
                await self._conn.rollback()
        except IntegrityError as error:
            raise Conflict(Reason.DUPLICATE_KEY, str(error.orig)) from error
        finally:
            try:
                await self._conn.close()
            finally:
                self._release()
        # A unique key refused a write that raced another (two first contacts, two identical
        # creations): to core, a conflict with the current state, the transaction rolled back.
        if isinstance(exc, IntegrityError):
            raise Conflict(Reason.DUPLICATE_KEY, str(exc.orig)) from exc
        if exc_type is None and self._on_events is not None:
            for app_id, seq in self.events.written.items():
                self._on_events(app_id, seq)
        if exc_type is None and (self.events.types or self.pins.actions):
            committed = Committed(self.events.types, self.pins.actions)
            for observe in self._db.commit_observers:
                observe(committed)
        identities = (self.apps, self.users, self.tokens)
        if (
            exc_type is None
            and self._on_identities
            and any(r.changed_identities for r in identities)
        ):
            self._on_identities()

    def _release(self) -> None:
        if self._locked:
            self._locked = False
            lock = self._db.write_lock
            assert lock is not None
            lock.release()


class UnitOfWorkFactory:
    """Callable handed to core: ``async with deps.uow(write=True) as uow: ...``."""

    def __init__(
        self,
        db: Database,
        on_events: EventsCommitted | None = None,
        on_identities: Callable[[], None] | None = None,
    ) -> None:
        self._db = db
        self._on_events = on_events
        self._on_identities = on_identities

    def __call__(self, *, write: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self._db, write=write, on_events=self._on_events, on_identities=self._on_identities
        )

from __future__ import annotations

import sqlalchemy as sa

from chatpins.core.entities import Event
from chatpins.storage.repositories._base import Connection, Repository, built_once, key
from chatpins.storage.tables import event_counters, events

_NEXT_SEQ = built_once(
    event_counters.update()
    .where(event_counters.c.app_id == key("app"))
    .values(seq=event_counters.c.seq + 1)
    .returning(event_counters.c.seq)
)
_HEAD = built_once(sa.select(event_counters.c.seq).where(event_counters.c.app_id == key("app")))
_INSERT = built_once(events.insert())


class EventRepository(Repository):
    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        # The newest seq this transaction wrote per app: announced to subscribers on commit.
        self.written: dict[str, int] = {}

    async def append(self, app_id: str, event: Event, at: int) -> int:
        """Write one outbox row; its ``seq`` is the app's next.

        Bumping the app's row of ``event_counters`` locks it until commit, so per app the
        events commit in ``seq`` order and a reader never sees seq N+1 before N; a rolled-back
        change takes its bump back, so seqs have no gaps. Call this last in a use case to keep
        that lock short.
        """
        result = await self._conn.execute(_NEXT_SEQ, {"p_app": app_id})
        seq = result.scalar_one()
        self.written[app_id] = seq
        row = {
            "app_id": app_id,
            "seq": seq,
            "type": event.type,
            "payload": event.payload,
            "audience": event.audience,
            "created_at": at,
        }
        await self._conn.execute(_INSERT, row)
        return seq

    async def get(self, app_id: str, seq: int) -> Event | None:
        query = events.select().where(events.c.app_id == app_id, events.c.seq == seq)
        return await self._one(Event, query)

    async def head(self, app_id: str) -> int:
        """The app's newest ``seq`` (0 before its first event)."""
        result = await self._conn.execute(_HEAD, {"p_app": app_id})
        return int(result.scalar_one_or_none() or 0)

    async def after(self, app_id: str, seq: int, limit: int) -> list[Event]:
        """The app's events with a ``seq`` above ``seq``, oldest first."""
        query = (
            events.select()
            .where(events.c.app_id == app_id, events.c.seq > seq)
            .order_by(events.c.seq)
            .limit(limit)
        )
        return await self._all(Event, query)

"""Request nonces seen recently (ZIM signatures): each is accepted once within its window."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from chatpins.storage.database import Backend
from chatpins.storage.repositories._base import Connection, Repository, key
from chatpins.storage.tables import nonces

_FORGET_STALE = nonces.delete().where(
    nonces.c.app_id == key("app"),
    nonces.c.nonce == key("nonce"),
    nonces.c.seen_at < key("before"),
)
# INSERT ... ON CONFLICT DO NOTHING is spelled by each backend's own insert construct.
_CLAIM = {
    Backend.POSTGRESQL: postgresql.insert(nonces).on_conflict_do_nothing(),
    Backend.SQLITE: sqlite.insert(nonces).on_conflict_do_nothing(),
}
# One app's shard, on ``ix_nonces_app_seen_at``: a request drops its own app's old nonces.
_FORGET_OLDER = nonces.delete().where(
    nonces.c.app_id == key("app"), nonces.c.seen_at < key("cutoff")
)


class NonceRepository(Repository):
    def __init__(self, conn: Connection, backend: Backend) -> None:
        super().__init__(conn)
        self._claim = _CLAIM[backend]

    async def claim(self, app_id: str, nonce: str, now: int, window_ms: int) -> bool:
        """Record a nonce; False when it was already seen within the window (a replay).

        The primary key decides between concurrent claims of one nonce, on any number of
        instances: exactly one insert wins.
        """
        await self._conn.execute(
            _FORGET_STALE, {"p_app": app_id, "p_nonce": nonce, "p_before": now - window_ms}
        )
        result = await self._conn.execute(
            self._claim, {"app_id": app_id, "nonce": nonce, "seen_at": now}
        )
        return result.rowcount == 1

    async def forget_older_than(self, app_id: str, cutoff: int) -> None:
        """Drop the app's nonces seen before ``cutoff``."""
        await self._conn.execute(_FORGET_OLDER, {"p_app": app_id, "p_cutoff": cutoff})

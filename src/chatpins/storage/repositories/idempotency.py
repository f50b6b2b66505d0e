"""The first reply to each request sent with an Idempotency-Key."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from chatpins.storage.repositories._base import Repository
from chatpins.storage.tables import idempotency_keys


class IdempotencyRepository(Repository):
    async def get(self, app_id: str, key: str, since: int) -> tuple[str, Any] | None:
        """(request hash, reply) stored for ``key`` at ``since`` or later."""
        query = sa.select(idempotency_keys.c.request_hash, idempotency_keys.c.reply).where(
            idempotency_keys.c.app_id == app_id,
            idempotency_keys.c.key == key,
            idempotency_keys.c.created_at >= since,
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else (row[0], row[1])

    async def put(self, app_id: str, key: str, request_hash: str, reply: Any, at: int) -> None:
        """Store the reply; an older (lapsed) row of the same key is replaced."""
        await self._conn.execute(
            idempotency_keys.delete().where(
                idempotency_keys.c.app_id == app_id, idempotency_keys.c.key == key
            )
        )
        await self._conn.execute(
            idempotency_keys.insert().values(
                app_id=app_id, key=key, request_hash=request_hash, reply=reply, created_at=at
            )
        )

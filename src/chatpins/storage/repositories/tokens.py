from __future__ import annotations

from chatpins.core.entities import Token
from chatpins.storage.repositories._base import Repository, to_entity, to_row
from chatpins.storage.tables import tokens


class TokenRepository(Repository):
    async def add(self, token: Token) -> None:
        await self._conn.execute(tokens.insert().values(**to_row(token, tokens)))

    async def get(self, token_hash: str) -> Token | None:
        query = tokens.select().where(tokens.c.token_hash == token_hash)
        return to_entity(Token, (await self._conn.execute(query)).first())

    async def latest(self, app_id: str, kind: str, dialect: str) -> Token | None:
        query = (
            tokens.select()
            .where(
                tokens.c.app_id == app_id,
                tokens.c.kind == kind,
                tokens.c.dialect == dialect,
                tokens.c.revoked_at.is_(None),
            )
            .order_by(tokens.c.issued_at.desc())
            .limit(1)
        )
        return to_entity(Token, (await self._conn.execute(query)).first())

from __future__ import annotations

from chatpins.core.entities import Token, TokenKind
from chatpins.storage.repositories._base import Repository, built_once, key, to_row
from chatpins.storage.tables import tokens

_GET = built_once(tokens.select().where(tokens.c.token_hash == key("hash")))


class TokenRepository(Repository):
    async def add(self, token: Token) -> None:
        await self._conn.execute(tokens.insert().values(**to_row(token, tokens)))

    async def get(self, token_hash: str) -> Token | None:
        return await self._one(Token, _GET, {"p_hash": token_hash})

    async def latest(self, app_id: str, kind: TokenKind, dialect: str) -> Token | None:
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
        return await self._one(Token, query)

    async def update(self, token: Token) -> None:
        self.changed_identities = True
        values = to_row(token, tokens)
        values["revoked_at"] = token.revoked_at
        await self._conn.execute(
            tokens.update().where(tokens.c.token_hash == token.token_hash).values(**values)
        )

    async def revoke_for_user(
        self,
        app_id: str,
        user_id: str,
        dialect: str,
        now: int,
        *,
        keep_hash: str | None = None,
        only_hash: str | None = None,
    ) -> int:
        """Revoke a user's live tokens of a dialect (all, all but one, or only one); count them."""
        self.changed_identities = True
        query = tokens.update().where(
            tokens.c.app_id == app_id,
            tokens.c.user_id == user_id,
            tokens.c.kind == TokenKind.USER,
            tokens.c.dialect == dialect,
            tokens.c.revoked_at.is_(None),
            tokens.c.expires_at > now,
        )
        if keep_hash is not None:
            query = query.where(tokens.c.token_hash != keep_hash)
        if only_hash is not None:
            query = query.where(tokens.c.token_hash == only_hash)
        result = await self._conn.execute(query.values(revoked_at=now))
        return result.rowcount

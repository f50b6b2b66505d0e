from __future__ import annotations

from chatpins.core.entities import User
from chatpins.storage.repositories._base import Repository, key, to_entity, to_row
from chatpins.storage.tables import users

_GET = users.select().where(users.c.app_id == key("app"), users.c.id == key("id"))


class UserRepository(Repository):
    async def add(self, user: User) -> None:
        await self._conn.execute(users.insert().values(**to_row(user, users)))

    async def get(self, app_id: str, user_id: str) -> User | None:
        result = await self._conn.execute(_GET, {"p_app": app_id, "p_id": user_id})
        return to_entity(User, result.first())

    async def get_by_open_id(self, app_id: str, open_id: str) -> User | None:
        return await self._one(users.c.open_id == open_id, app_id)

    async def get_by_union_id(self, app_id: str, union_id: str) -> User | None:
        return await self._one(users.c.union_id == union_id, app_id)

    async def get_many(self, app_id: str, user_ids: list[str]) -> list[User]:
        if not user_ids:
            return []
        query = users.select().where(users.c.app_id == app_id, users.c.id.in_(user_ids))
        return [to_entity(User, row) for row in await self._conn.execute(query)]  # type: ignore[misc]

    async def _one(self, condition, app_id: str) -> User | None:  # type: ignore[no-untyped-def]
        query = users.select().where(users.c.app_id == app_id, condition)
        return to_entity(User, (await self._conn.execute(query)).first())

    async def update(self, user: User) -> None:
        self.changed_identities = True
        values = to_row(user, users)
        await self._conn.execute(
            users.update()
            .where(users.c.app_id == user.app_id, users.c.id == user.id)
            .values(**values)
        )

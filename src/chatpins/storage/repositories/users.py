from __future__ import annotations

from chatpins.core.entities import User
from chatpins.storage.repositories._base import Repository, built_once, key, to_row
from chatpins.storage.tables import users

_GET = built_once(users.select().where(users.c.app_id == key("app"), users.c.id == key("id")))
_BY_OPEN_ID = built_once(
    users.select().where(users.c.app_id == key("app"), users.c.open_id == key("id"))
)
_BY_UNION_ID = built_once(
    users.select().where(users.c.app_id == key("app"), users.c.union_id == key("id"))
)


class UserRepository(Repository):
    async def add(self, user: User) -> None:
        await self._conn.execute(users.insert().values(**to_row(user, users)))

    async def get(self, app_id: str, user_id: str) -> User | None:
        return await self._one(User, _GET, {"p_app": app_id, "p_id": user_id})

    async def get_by_open_id(self, app_id: str, open_id: str) -> User | None:
        return await self._one(User, _BY_OPEN_ID, {"p_app": app_id, "p_id": open_id})

    async def get_by_union_id(self, app_id: str, union_id: str) -> User | None:
        return await self._one(User, _BY_UNION_ID, {"p_app": app_id, "p_id": union_id})

    async def get_many(self, app_id: str, user_ids: list[str]) -> list[User]:
        if not user_ids:
            return []
        query = users.select().where(users.c.app_id == app_id, users.c.id.in_(user_ids))
        return await self._all(User, query)

    async def of_app(self, app_id: str) -> list[User]:
        """Every user of the app, the earliest registered first (then by id)."""
        query = (
            users.select()
            .where(users.c.app_id == app_id)
            .order_by(users.c.registered_at, users.c.id)
        )
        return await self._all(User, query)

    async def update(self, user: User) -> None:
        self.changed_identities = True
        values = to_row(user, users)
        await self._conn.execute(
            users.update()
            .where(users.c.app_id == user.app_id, users.c.id == user.id)
            .values(**values)
        )

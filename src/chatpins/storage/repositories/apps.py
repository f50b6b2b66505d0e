from __future__ import annotations

import sqlalchemy as sa

from chatpins.core.entities import App
from chatpins.storage.repositories._base import Repository, key, to_row
from chatpins.storage.tables import apps, server_settings

_GET = apps.select().where(apps.c.id == key("id"))


class AppRepository(Repository):
    async def add(self, app: App) -> None:
        await self._conn.execute(apps.insert().values(**to_row(app, apps)))

    async def get(self, app_id: str) -> App | None:
        return await self._one(App, _GET, {"p_id": app_id})

    async def get_by_feishu_app_id(self, feishu_app_id: str) -> App | None:
        query = apps.select().where(apps.c.feishu_app_id == feishu_app_id)
        return await self._one(App, query)

    async def get_by_imkit_client_key(self, key: str) -> App | None:
        query = apps.select().where(apps.c.imkit_client_key == key)
        return await self._one(App, query)

    async def get_by_imkit_api_key_hash(self, key_hash: str) -> App | None:
        query = apps.select().where(apps.c.imkit_api_key_hash == key_hash)
        return await self._one(App, query)

    async def get_by_native_api_key_hash(self, key_hash: str) -> App | None:
        query = apps.select().where(apps.c.native_api_key_hash == key_hash)
        return await self._one(App, query)

    async def get_by_zim_app_id(self, zim_app_id: int) -> App | None:
        query = apps.select().where(apps.c.zim_app_id == zim_app_id)
        return await self._one(App, query)

    async def update(self, app: App) -> None:
        self.changed_identities = True
        values = to_row(app, apps)
        values.pop("id")
        await self._conn.execute(apps.update().where(apps.c.id == app.id).values(**values))

    async def count(self) -> int:
        return (await self._conn.execute(sa.select(sa.func.count()).select_from(apps))).scalar_one()


class ServerSettingRepository(Repository):
    async def get(self, key: str) -> str | None:
        query = sa.select(server_settings.c.value).where(server_settings.c.key == key)
        return (await self._conn.execute(query)).scalar_one_or_none()

    async def put(self, key: str, value: str) -> None:
        updated = await self._conn.execute(
            server_settings.update().where(server_settings.c.key == key).values(value=value)
        )
        if updated.rowcount == 0:
            await self._conn.execute(server_settings.insert().values(key=key, value=value))

from __future__ import annotations

import sqlalchemy as sa

from chatpins.core.entities import App, AppClock
from chatpins.storage import app_rows
from chatpins.storage.repositories._base import Repository, built_once, key, to_row
from chatpins.storage.tables import apps, event_counters, server_settings

_GET = built_once(apps.select().where(apps.c.id == key("id")))
_NEW_COUNTER = event_counters.insert().values(app_id=key("app"), seq=0)


class AppRepository(Repository):
    async def add(self, app: App) -> None:
        """Store a new app, with the counter its events take their ``seq`` from (every way an
        app is made comes here: created, declared, the demo app)."""
        await self._conn.execute(apps.insert().values(**to_row(app, apps)))
        await self._conn.execute(_NEW_COUNTER, {"p_app": app.id})

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

    async def set_clock(self, app_id: str, clock: AppClock) -> None:
        self.changed_identities = True  # remembered identities carry the app and its clock
        await self._conn.execute(
            apps.update()
            .where(apps.c.id == app_id)
            .values(clock_offset_ms=clock.offset_ms, clock_frozen_at_ms=clock.frozen_at_ms)
        )

    async def advance_clock(self, app_id: str, ms: int) -> None:
        """Move the app's clock ``ms`` on, in one statement: parallel moves add up. A frozen
        clock stays frozen (null + ms is null for a running one)."""
        self.changed_identities = True
        frozen = apps.c.clock_frozen_at_ms
        await self._conn.execute(
            apps.update()
            .where(apps.c.id == app_id)
            .values(
                clock_offset_ms=apps.c.clock_offset_ms + sa.case((frozen.is_(None), ms), else_=0),
                clock_frozen_at_ms=frozen + ms,
            )
        )

    async def moved_clocks(self) -> dict[str, AppClock]:
        """The apps whose clock a test moved."""
        query = sa.select(apps.c.id, apps.c.clock_offset_ms, apps.c.clock_frozen_at_ms).where(
            sa.or_(apps.c.clock_offset_ms != 0, apps.c.clock_frozen_at_ms.is_not(None))
        )
        return {r[0]: AppClock(r[1], r[2]) for r in await self._conn.execute(query)}

    async def empty(self, app_id: str, bot_user_id: str) -> dict[str, int]:
        """Delete every row of the app but the app itself, its event counter and its bot
        (``storage.app_rows`` says which); how many rows each table lost."""
        self.changed_identities = True  # its users and tokens are gone
        return {
            table: (await self._conn.execute(statement)).rowcount
            for table, statement in app_rows.deletes(app_id, bot_user_id)
        }

    async def count(self) -> int:
        return (await self._conn.execute(sa.select(sa.func.count()).select_from(apps))).scalar_one()

    async def list_all(self) -> list[App]:
        """Every app, oldest first (an operator's listing: there are few)."""
        query = apps.select().order_by(apps.c.created_at, apps.c.id)
        return await self._all(App, query)


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

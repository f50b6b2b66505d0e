"""Emptying an app reaches every table of the schema (storage.app_rows), and the memory of a
process forgets the app (its rate-limit windows)."""

from __future__ import annotations

from chatpins.infra.ratelimit import MemoryRateLimiter
from chatpins.storage import app_rows
from chatpins.storage.tables import metadata


def test_every_table_is_emptied_kept_or_global() -> None:
    emptied = {name for name, _statement in app_rows.deletes("app_x", "cli_x")}
    kept = {app_rows.APP_TABLE, *app_rows.GLOBAL_TABLES}
    assert emptied | kept == set(metadata.tables)
    assert emptied & kept == set()


def test_rows_owned_through_a_parent_go_before_the_parent() -> None:
    order = [name for name, _statement in app_rows.deletes("app_x", "cli_x")]
    for child, (_column, parent_key) in app_rows.OWNED_THROUGH.items():
        assert order.index(child) < order.index(parent_key.table.name)


def test_only_the_apps_own_rows_are_named() -> None:
    for name, statement in app_rows.deletes("app_x", "cli_x"):
        compiled = statement.compile(compile_kwargs={"literal_binds": True})
        assert "'app_x'" in str(compiled), name


async def test_forgetting_an_app_drops_its_rate_windows_only() -> None:
    limiter = MemoryRateLimiter()
    for key in ("api:app_a:POST /x:1.0", "imkit-api-key:app_a", "zim:app_b:action:ConvPinned"):
        assert await limiter.hit(key, 1, 60.0) is None
        assert await limiter.hit(key, 1, 60.0) is not None
    await limiter.forget("app_a")
    assert await limiter.hit("api:app_a:POST /x:1.0", 1, 60.0) is None
    assert await limiter.hit("imkit-api-key:app_a", 1, 60.0) is None
    assert await limiter.hit("zim:app_b:action:ConvPinned", 1, 60.0) is not None

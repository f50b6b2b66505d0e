"""Emptying an app reaches every table of the schema (storage.app_rows), and the memory of a
process forgets the app (its rate-limit windows)."""

from __future__ import annotations

from chatpins.infra.ratelimit import MemoryRateLimiter
from chatpins.storage import app_rows
from chatpins.storage.tables import metadata


def test_every_table_is_emptied_kept_or_global() -> None:
    emptied = [name for name, _statement in app_rows.deletes("app_x", "cli_x")]
    kept = {app_rows.APP_TABLE, *app_rows.KEPT_TABLES, *app_rows.GLOBAL_TABLES}
    assert len(emptied) == len(set(emptied))  # one statement per table
    assert set(emptied) | kept == set(metadata.tables)
    assert set(emptied) & kept == set()


def test_the_event_counter_is_kept() -> None:
    """``seq`` keeps growing across a reset: the counter is not emptied with the events."""
    emptied = {name for name, _statement in app_rows.deletes("app_x", "cli_x")}
    assert "events" in emptied
    assert "event_counters" in app_rows.KEPT_TABLES
    assert "event_counters" not in emptied


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

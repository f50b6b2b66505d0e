"""`/livez` and `/readyz` as a load balancer sees them: the database and its schema decide
whether an instance gets traffic (503), Redis only whether it is degraded (200)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_database
from tests.e2e.live_server import Server, ServerProcess, database_url_for
from tests.redis_server import PrivateRedis


def _ready(base_url: str) -> httpx.Response:
    return httpx.get(base_url + "/readyz", timeout=10)


def test_a_lone_instance_is_live_and_ready(server: Server) -> None:
    live = httpx.get(server.base_url + "/livez")
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    ready = _ready(server.base_url)
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "checks": {"database": "ok", "schema": "ok", "redis": "not_configured"},
    }


@pytest.fixture
def redis_instance(tmp_path: Path) -> Iterator[tuple[ServerProcess, PrivateRedis]]:
    redis = PrivateRedis()
    redis.start()
    process = ServerProcess(
        database_url_for("sqlite", tmp_path), tmp_path, {"CHATPINS_REDIS_URL": redis.url}
    )
    process.start()
    try:
        yield process, redis
    finally:
        process.stop()
        redis.stop()


def test_redis_away_is_degraded_not_unready(
    redis_instance: tuple[ServerProcess, PrivateRedis],
) -> None:
    process, redis = redis_instance
    assert _ready(process.base_url).json()["checks"]["redis"] == "ok"
    redis.stop()
    ready = _ready(process.base_url)
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "schema": "ok", "redis": "unreachable"},
    }
    redis.start()
    ready = _ready(process.base_url)
    assert ready.status_code == 200 and ready.json()["status"] == "ok"


def test_a_schema_migrated_past_this_version_makes_the_instance_unready(
    tmp_path: Path,
) -> None:
    url = database_url_for("sqlite", tmp_path)
    process = ServerProcess(url, tmp_path)
    process.start()
    try:
        with sqlite3.connect(tmp_path / "chatpins.db") as db:
            (revision,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
            db.execute("UPDATE alembic_version SET version_num = 'a_newer_release'")
        ready = _ready(process.base_url)
        assert ready.status_code == 503
        assert ready.json()["checks"]["schema"] == "out_of_date"
        assert httpx.get(process.base_url + "/livez").status_code == 200  # alive all the same
        with sqlite3.connect(tmp_path / "chatpins.db") as db:
            db.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        assert _ready(process.base_url).status_code == 200
    finally:
        process.stop()


async def _admin(dsn: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.mark.postgres
def test_a_database_that_refuses_connections_makes_the_instance_unready(
    tmp_path: Path,
) -> None:
    shared = database_url_for("postgres", tmp_path)
    admin_dsn = shared.replace("postgresql+asyncpg://", "postgresql://")
    with fresh_database(shared, "chatpins_ready") as url:
        name = url.rsplit("/", 1)[1]
        process = ServerProcess(url, tmp_path)
        process.start()
        try:
            assert _ready(process.base_url).status_code == 200
            asyncio.run(_admin(admin_dsn, f"ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
            asyncio.run(
                _admin(
                    admin_dsn,
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{name}'",
                )
            )
            ready = _ready(process.base_url)
            assert ready.status_code == 503
            assert ready.json() == {
                "status": "unavailable",
                "checks": {
                    "database": "unreachable",
                    "schema": "unknown",
                    "redis": "not_configured",
                },
            }
            assert httpx.get(process.base_url + "/livez").status_code == 200
            asyncio.run(_admin(admin_dsn, f"ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
            assert _ready(process.base_url).status_code == 200
        finally:
            process.stop()

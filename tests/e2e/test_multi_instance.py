"""Several instances on one PostgreSQL database: a change made through one reaches a stream on
another at once through Redis."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.e2e.live_server import (
    Server,
    ServerProcess,
    admin_client,
    create_app,
    database_url_for,
)

REDIS_URL = os.environ.get("CHATPINS_TEST_REDIS_URL")


@pytest.fixture
def two_instances(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[ServerProcess]]:
    if not REDIS_URL:
        if os.environ.get("CHATPINS_REQUIRE_POSTGRES") == "1":
            pytest.fail("CHATPINS_TEST_REDIS_URL is not set", pytrace=False)
        pytest.skip("CHATPINS_TEST_REDIS_URL not set")
    url = database_url_for("postgres", tmp_path)
    monkeypatch.setenv("CHATPINS_REDIS_URL", REDIS_URL)
    # Polling only every minute: anything faster than that came through Redis.
    monkeypatch.setenv("CHATPINS_EVENTS_POLL_SECONDS", "60")
    processes = [ServerProcess(url, tmp_path), ServerProcess(url, tmp_path)]
    for process in processes:
        process.start()
    try:
        yield processes
    finally:
        for process in processes:
            process.stop()


@pytest.mark.postgres
async def test_a_stream_on_one_instance_sees_changes_made_through_another(
    two_instances: list[ServerProcess],
) -> None:
    writer, reader = two_instances
    with admin_client(Server("postgres", writer)) as admin:
        app = create_app(admin, "two instances")
    api_key = app["imkit"]["api_key"]
    ws_url = reader.base_url.replace("http", "ws") + "/v1/events/ws"
    async with connect(ws_url, additional_headers={"Authorization": f"Bearer {api_key}"}) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello"
        async with httpx.AsyncClient(
            base_url=writer.base_url, headers={"IM-API-KEY": api_key}
        ) as imkit:
            started = time.monotonic()
            reply = await imkit.post("/admin/clients", json={"_id": "u1", "nickname": "U"})
            assert reply.json()["RC"] == 0
            reply = await imkit.post(
                "/rooms", json={"_id": "r1", "name": "r1", "owner": "u1", "members": []}
            )
            assert reply.json()["RC"] == 0
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert (
            frame["event"]["type"] == "chat.created"
            and frame["event"]["payload"]["chat_id"] == "r1"
        )
        assert time.monotonic() - started < 10  # far below the 60 s poll: Redis woke it

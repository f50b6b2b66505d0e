"""Live streams across instances: a change made through one instance reaches a WebSocket on
another within a second, relayed by Redis (the instances poll the outbox once a minute only)."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.events.client import open_stream
from tests.e2e.multi.cluster import Pair

pytestmark = pytest.mark.postgres

RELAYED_WITHIN_S = 1.0


async def test_a_stream_on_one_instance_sees_changes_made_through_another(pair: Pair) -> None:
    app = pair.new_app("two instances")
    api_key = app["imkit"]["api_key"]
    stream = await open_stream(pair.a.base_url, api_key)
    try:
        async with httpx.AsyncClient(
            base_url=pair.b.base_url, headers={"IM-API-KEY": api_key}
        ) as imkit:
            reply = await imkit.post("/admin/clients", json={"_id": "u1", "nickname": "U"})
            assert reply.json()["RC"] == 0, reply.text
            reply = await imkit.post(
                "/rooms", json={"_id": "r1", "name": "r1", "owner": "u1", "members": []}
            )
            replied = time.monotonic()
            assert reply.json()["RC"] == 0, reply.text
        left = RELAYED_WITHIN_S - (time.monotonic() - replied)
        try:
            frame = await stream.next_event(wait_s=max(left, 0.0))
        except TimeoutError:
            raise AssertionError(
                f"no event on A within {RELAYED_WITHIN_S} s of B's reply"
            ) from None
        took = time.monotonic() - replied
        event = frame["event"]
        assert (event["type"], event["payload"]["chat_id"]) == ("chat.created", "r1")
        assert took <= RELAYED_WITHIN_S, f"relayed after {took:.3f} s"
    finally:
        await stream.close()

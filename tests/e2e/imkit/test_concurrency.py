"""One pinned message per room under concurrency (imkit.md §7), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx

from tests.e2e.imkit.conftest import IMKit, ok

PARALLEL = 50


def _send_many(imkit: IMKit, room: str, count: int) -> list[str]:
    ids = []
    for i in range(count):
        body = {"room": room, "sender": "member", "message": f"m{i}", "messageType": "text"}
        ids.append(ok(imkit.platform("POST", "/messages", json=body))["_id"])
    return ids


def _assert_exactly_one_pinned(imkit: IMKit, room: str, candidates: list[str]) -> str:
    pinned = imkit.pinned_ids(room)
    assert len(pinned) == 1, pinned
    assert pinned[0] in candidates
    room_pin = imkit.get_room(room)["pinnedMessage"]
    assert room_pin is not None and room_pin["_id"] == pinned[0] and room_pin["pinned"] is True
    listed = ok(imkit.platform("GET", "/rooms"))["data"]
    assert [r["pinnedMessage"]["_id"] for r in listed if r["_id"] == room] == pinned
    return pinned[0]


def test_parallel_pins_of_different_messages_leave_one_pinned(demo: IMKit) -> None:
    ids = _send_many(demo, "demo-room", PARALLEL)
    headers = {"IM-CLIENT-KEY": demo.client_key, "IM-Authorization": demo.tokens["owner"]}

    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=PARALLEL)
        async with httpx.AsyncClient(
            base_url=demo.base_url, headers=headers, timeout=60.0, limits=limits
        ) as client:
            return list(await asyncio.gather(*(client.post(f"/messages/{i}/pin") for i in ids)))

    replies = asyncio.run(run())
    for reply in replies:
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["RC"] == 0 and body["RM"] == "OK", body
        assert body["result"]["pinned"] is True
    _assert_exactly_one_pinned(demo, "demo-room", ids)


def test_parallel_pins_and_unpins_keep_at_most_one(demo: IMKit) -> None:
    ids = _send_many(demo, "demo-room", 20)
    headers = {"IM-CLIENT-KEY": demo.client_key, "IM-Authorization": demo.tokens["admin"]}

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=demo.base_url, headers=headers, timeout=60.0) as c:
            calls = [c.post(f"/messages/{i}/pin") for i in ids]
            calls += [c.delete(f"/messages/{i}/pin") for i in ids[::2]]
            return list(await asyncio.gather(*calls))

    for reply in asyncio.run(run()):
        assert reply.status_code == 200, reply.text
    assert len(demo.pinned_ids("demo-room")) <= 1
    room_pin = demo.get_room("demo-room")["pinnedMessage"]
    assert demo.pinned_ids("demo-room") == ([room_pin["_id"]] if room_pin else [])

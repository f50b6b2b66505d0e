"""`kill -9` of one instance under load: every change acknowledged with a success reply, by
either instance, is there afterwards as read through the survivor. Requests to the killed
instance fail with connection errors from then on; those were never acknowledged."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.e2e.imkit.conftest import ok
from tests.e2e.multi.cluster import NO_PACING, Instance, Pair, outbox

pytestmark = pytest.mark.postgres

WORKERS = 8  # client tasks, each sending into its own room, alternating instances
ACKED_BEFORE_KILL = 25  # acknowledged by A before it is killed
ACKED_AFTER_KILL = 25  # acknowledged by B after A died
PHASE_TIMEOUT_S = 60.0


@dataclass
class Load:
    """What the clients saw: each acknowledged message with the instance that acknowledged it."""

    acked: dict[str, tuple[str, str]] = field(default_factory=dict)  # id → (room, instance)
    killed: bool = False
    after_kill: int = 0
    lost_connections: int = 0
    before_kill_reached: asyncio.Event = field(default_factory=asyncio.Event)
    after_kill_reached: asyncio.Event = field(default_factory=asyncio.Event)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def count(self, instance: str) -> int:
        return sum(1 for _, by in self.acked.values() if by == instance)


async def _worker(load: Load, room: str, clients: dict[str, httpx.AsyncClient]) -> None:
    names = list(clients)
    n = 0
    while not load.stop.is_set():
        name = names[n % len(names)]
        n += 1
        body = {"message": f"{room} #{n}", "messageType": "text"}
        try:
            reply = await clients[name].post(f"/rooms/{room}/message", json=body)
        except httpx.TransportError:
            # Only the killed instance may drop a request, and only once it has been killed.
            assert name == "A" and load.killed, f"{name} dropped a request"
            load.lost_connections += 1
            continue
        message_id = ok(reply)["_id"]  # any reply must be a success, from either instance
        load.acked[message_id] = (room, name)
        if not load.killed and load.count("A") >= ACKED_BEFORE_KILL:
            load.before_kill_reached.set()
        if load.killed and name == "B":
            load.after_kill += 1
            if load.after_kill >= ACKED_AFTER_KILL:
                load.after_kill_reached.set()


def _room_message_ids(survivor: Instance, app: dict[str, Any], room: str) -> set[str]:
    """Every message of the room, read through the survivor (newest first, 100 a page)."""
    imkit = survivor.imkit(app)
    ids: set[str] = set()
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = ok(imkit.platform("GET", f"/rooms/{room}/messages/v3", params=params))["data"]
        if not page:
            return ids
        ids |= {m["_id"] for m in page}
        params["beforeMessage"] = page[-1]["_id"]


async def test_kill_9_under_load_loses_no_acknowledged_change(private_pair: Pair) -> None:
    a, b = private_pair.a, private_pair.b
    app = private_pair.new_app("kill -9", **NO_PACING)
    setup = b.imkit(app)
    setup.user("writer")
    rooms = [f"room-{n}" for n in range(WORKERS)]
    for room in rooms:
        setup.room(room, "writer", [])
    headers = {"IM-CLIENT-KEY": setup.client_key, "IM-Authorization": setup.tokens["writer"]}

    load = Load()
    async with (
        httpx.AsyncClient(base_url=a.base_url, headers=headers, timeout=30.0) as to_a,
        httpx.AsyncClient(base_url=b.base_url, headers=headers, timeout=30.0) as to_b,
    ):
        clients = {"A": to_a, "B": to_b}
        workers = [asyncio.create_task(_worker(load, room, clients)) for room in rooms]
        try:
            async with asyncio.timeout(PHASE_TIMEOUT_S):
                await _first_of(load.before_kill_reached, workers)
            load.killed = True
            a.process.send_signal(signal.SIGKILL)
            async with asyncio.timeout(PHASE_TIMEOUT_S):
                await _first_of(load.after_kill_reached, workers)
        finally:
            load.stop.set()
            await asyncio.gather(*workers)
    assert a.process.wait_exit(timeout=10) == -signal.SIGKILL

    assert load.count("A") >= ACKED_BEFORE_KILL and load.after_kill >= ACKED_AFTER_KILL
    stored: set[str] = set()
    for room in rooms:
        stored |= _room_message_ids(b, app, room)
    lost = set(load.acked) - stored
    assert not lost, f"{len(lost)} acknowledged messages are gone: {sorted(lost)[:5]}"
    # Beyond those, at most the requests A was busy with when it died (committed, never answered).
    assert len(stored - set(load.acked)) <= min(load.lost_connections, WORKERS)
    # Each change committed whole: its event in the outbox, once.
    sent = Counter(
        e["payload"]["message_id"] for e in outbox(b.admin, app) if e["type"] == "message.sent"
    )
    assert sent == Counter(stored)


async def _first_of(reached: asyncio.Event, workers: list[asyncio.Task[None]]) -> None:
    """Wait for ``reached``; a worker that failed first fails the test with its error."""
    waiting = asyncio.create_task(reached.wait())
    done, _ = await asyncio.wait([waiting, *workers], return_when=asyncio.FIRST_COMPLETED)
    if waiting not in done:
        waiting.cancel()
        for task in done:
            task.result()
        raise AssertionError("a client stopped before the load phase ended")

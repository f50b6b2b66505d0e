"""Many subscribers, dropped connections and a server restart: every subscriber ends up with
every event exactly once, in ``seq`` order, by resuming from the last seq it has."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.e2e.events.apps import head, imkit_app, outbox, send_messages
from tests.e2e.events.client import EVENT_FRAMES, Stream, open_stream, seq_of
from tests.e2e.imkit.conftest import IMKit
from tests.e2e.live_server import Server

# (subscribers, events): the numbers on SQLite; on PostgreSQL as many events (its
# commits really run in parallel) to fewer subscribers, to keep the suite quick.
SIZES = {"sqlite": (200, 1000), "postgres": (50, 1000)}
RECONNECT_DEADLINE_S = 60.0
READ_TIMEOUT_S = 60.0


@dataclass
class Follower:
    """One subscriber that reconnects from its last seq whenever its connection ends."""

    base_url: str
    credential: str
    cursor: int
    # Drop the connection (no closing handshake) after this many events, once.
    drop_after: int | None = None
    on_drop: Callable[[], None] = lambda: None
    seqs: list[int] = field(default_factory=list)
    ids: dict[int, str] = field(default_factory=dict)
    connections: int = 0
    close_codes: list[int | None] = field(default_factory=list)
    first: Stream | None = None

    async def open(self) -> Stream:
        """Connect from the cursor, retrying while the server is away (restarting)."""
        deadline = time.monotonic() + RECONNECT_DEADLINE_S
        while True:
            try:
                stream = await open_stream(self.base_url, self.credential, after=self.cursor)
            except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.05)  # the server is restarting: try again shortly
                continue
            assert stream.hello["after"] == self.cursor, stream.hello
            self.connections += 1
            return stream

    async def follow(self, last_seq: int) -> None:
        """Read until ``last_seq`` has arrived, reconnecting as needed."""
        stream = self.first or await self.open()
        self.first = None
        while True:
            try:
                await self._read(stream, last_seq)
            except ConnectionClosed as closed:
                self.close_codes.append(closed.rcvd.code if closed.rcvd else None)
            finally:
                await stream.close()
            if self.cursor >= last_seq:
                return
            stream = await self.open()

    async def _read(self, stream: Stream, last_seq: int) -> None:
        while self.cursor < last_seq:
            # Raw frames, not Stream.frames: 200 x 1,000 parsed frames would be a lot to keep.
            async with asyncio.timeout(READ_TIMEOUT_S):
                frame = json.loads(await stream.ws.recv())
            if frame["type"] not in EVENT_FRAMES:
                continue
            seq = seq_of(frame)
            self.seqs.append(seq)
            self.ids[seq] = frame["event"]["id"]
            self.cursor = seq
            if self.drop_after is not None and len(self.seqs) == self.drop_after:
                self.drop_after = None
                stream.abort()
                self.on_drop()
                return


def _assert_every_event_once_in_order(
    followers: list[Follower], first: int, last: int, listed_ids: dict[int, str], seed: int
) -> None:
    expected = list(range(first, last + 1))
    for n, follower in enumerate(followers):
        assert follower.seqs == expected, (
            f"subscriber {n} (seed {seed}): {len(follower.seqs)} events, "
            f"first differences at {_first_difference(follower.seqs, expected)}"
        )
        assert follower.ids == {s: listed_ids[s] for s in expected}, f"subscriber {n}"
    assert len(set(listed_ids.values())) == len(listed_ids)


def _first_difference(got: list[int], expected: list[int]) -> str:
    for i, (a, b) in enumerate(zip(got, expected, strict=False)):
        if a != b:
            return f"index {i}: got {got[i - 2 : i + 3]}, expected {expected[i - 2 : i + 3]}"
    return f"length {len(got)} vs {len(expected)}"


async def test_subscribers_dropped_mid_stream_resume_without_loss_or_duplicates(
    imkit: IMKit, server: Server
) -> None:
    subscribers, total = SIZES[server.backend]
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    for user in ("alice", "bob"):
        imkit.user(user)
    imkit.room("lobby", "alice", ["bob"])
    start = head(imkit)
    first_part = total * 3 // 5
    all_dropped = asyncio.Event()
    dropped = 0

    def on_drop() -> None:
        nonlocal dropped
        dropped += 1
        if dropped == subscribers:
            all_dropped.set()

    followers = [
        Follower(
            imkit.base_url,
            imkit.api_key,
            start,
            drop_after=rng.randint(1, first_part),
            on_drop=on_drop,
        )
        for _ in range(subscribers)
    ]
    # Everyone is connected before the first event.
    streams = await asyncio.gather(*(f.open() for f in followers))
    for follower, stream in zip(followers, streams, strict=True):
        follower.first = stream
    reading = [asyncio.create_task(f.follow(start + total)) for f in followers]

    async def produce() -> None:
        # The first part, then (once every subscriber has dropped and is reconnecting) the
        # rest: the drops really happen mid-stream, and reconnections race new commits.
        senders = [
            send_messages(imkit, "alice", "lobby", first_part // 2),
            send_messages(imkit, "bob", "lobby", first_part - first_part // 2),
        ]
        await asyncio.gather(*senders)
        async with asyncio.timeout(READ_TIMEOUT_S):
            await all_dropped.wait()
        await send_messages(imkit, "alice", "lobby", total - first_part)

    try:
        await asyncio.gather(produce(), *reading)
    finally:
        for task in reading:
            task.cancel()
        await asyncio.gather(*reading, return_exceptions=True)
    listed = outbox(imkit, after=start)
    assert [e["seq"] for e in listed] == list(range(start + 1, start + total + 1))
    ids = {e["seq"]: e["id"] for e in listed}
    _assert_every_event_once_in_order(followers, start + 1, start + total, ids, seed)
    assert all(f.connections == 2 for f in followers)


async def test_subscribers_resume_across_a_server_restart(restartable_server: Server) -> None:
    subscribers, total = 20, 300
    with imkit_app(restartable_server, "restart") as imkit:
        imkit.user("alice")
        imkit.room("lobby", "alice", [])
        start = head(imkit)
        followers = [
            Follower(restartable_server.base_url, imkit.api_key, start) for _ in range(subscribers)
        ]
        streams = await asyncio.gather(*(f.open() for f in followers))
        for follower, stream in zip(followers, streams, strict=True):
            follower.first = stream
        reading = [asyncio.create_task(f.follow(start + total)) for f in followers]
        try:
            await send_messages(imkit, "alice", "lobby", total // 2)
            await asyncio.to_thread(restartable_server.process.restart)
            await send_messages(imkit, "alice", "lobby", total - total // 2)
            async with asyncio.timeout(READ_TIMEOUT_S):
                await asyncio.gather(*reading)
        finally:
            for task in reading:
                task.cancel()
            await asyncio.gather(*reading, return_exceptions=True)
        listed = outbox(imkit, after=start)
    ids = {e["seq"]: e["id"] for e in listed}
    assert len(ids) == total
    _assert_every_event_once_in_order(followers, start + 1, start + total, ids, seed=0)
    for follower in followers:
        # Each was connected when the server stopped: told "restarting", then back.
        assert follower.close_codes == [1012], follower.close_codes
        assert follower.connections == 2

"""A subscriber that stops reading is closed with 4008 and told where to resume; nobody else
waits for it, and resuming gives it the rest, in order, once (server queue: 8 events)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.events.apps import head, imkit_app, send_messages
from tests.e2e.events.client import Stream, open_stream
from tests.e2e.events.conftest import TUNED_QUEUE_SIZE, tuned
from tests.e2e.imkit.conftest import IMKit
from tests.e2e.live_server import Server

TOO_SLOW = 4008
EVENTS = 60
# Big bodies so the stalled client's TCP buffers fill and the server's send waits: only then
# does its queue overflow. A small receive buffer keeps the data needed for that small.
BODY_CHARS = 256 * 1024
RECEIVE_BUFFER = 16 * 1024


def _small_buffer_socket(base_url: str) -> socket.socket:
    url = urlsplit(base_url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    sock.connect((url.hostname, url.port))
    sock.setblocking(False)
    return sock


@pytest.fixture(scope="module")
def patient_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The tuned server's small queue, but a send timeout no test run reaches: a stalled
    client is then ended only by its queue overflowing, never by the send timeout.

    With the tuned 1 s timeout the outcome was a race on a busy machine: the timeout could end
    the stream while the test was still writing events, and a client that reads nothing cannot
    take a close frame, so it saw the connection drop (``code=None``) instead of 4008."""
    with tuned(tmp_path_factory, "patient", 3600) as server:
        yield server


@pytest.fixture
def patient_imkit(patient_server: Server, request: pytest.FixtureRequest) -> Iterator[IMKit]:
    with imkit_app(patient_server, request.node.name) as app:
        yield app


async def _expect_idle(stream: Stream, newest: int) -> None:
    """The stream is caught up and open: the next frame is a heartbeat at ``newest``."""
    assert await stream.frame() == {"type": "heartbeat", "seq": newest}


async def test_a_stalled_subscriber_is_closed_and_resumes_where_it_stopped(
    patient_imkit: IMKit,
) -> None:
    """The stalled client's socket fills, the server's send to it waits, and its queue
    overflows behind that send. When the client reads again, the send completes, the server
    finds the overflow and closes it with 4008 and the seq to resume from."""
    imkit = patient_imkit
    imkit.user("alice")
    imkit.room("lobby", "alice", [])
    start = head(imkit)
    last = start + EVENTS
    fast = await open_stream(imkit.base_url, imkit.api_key)
    # max_queue=1: the client library itself buffers at most a message or two.
    options = {"sock": _small_buffer_socket(imkit.base_url), "max_queue": 1}
    slow = await open_stream(imkit.base_url, imkit.api_key, options=options)
    resumed: Stream | None = None
    try:
        # One event at a time, the next only once the fast subscriber has the previous one:
        # the fast subscriber is never behind, the slow one (which reads nothing) falls behind.
        for n in range(EVENTS):
            await send_messages(imkit, "alice", "lobby", 1, size=BODY_CHARS, concurrency=1)
            await fast.read_until_seq(start + n + 1)
        assert fast.seqs == list(range(start + 1, last + 1))
        await _expect_idle(fast, last)

        closed = await slow.read_until_closed()
        assert closed.code == TOO_SLOW, closed
        got = slow.seqs
        cursor = got[-1] if got else start
        assert got == list(range(start + 1, cursor + 1))
        assert closed.reason.endswith(f"after={cursor}"), closed
        # It really fell behind: more than a queue's worth of events was still to come.
        assert last - cursor > TUNED_QUEUE_SIZE

        resumed = await open_stream(imkit.base_url, imkit.api_key, after=cursor)
        await resumed.read_until_seq(last)
        assert resumed.seqs == list(range(cursor + 1, last + 1))
        await _expect_idle(resumed, last)
        ids = [f["event"]["id"] for f in slow.events + resumed.events]
        assert ids == [f["event"]["id"] for f in fast.events]
    finally:
        for stream in (fast, slow, resumed):
            if stream is not None:
                await stream.close()


def _open_streams(base_url: str) -> float:
    metrics = httpx.get(f"{base_url}/metrics").text
    line = next(
        x for x in metrics.splitlines() if x.startswith("chatpins_event_stream_subscribers ")
    )
    return float(line.split()[1])


async def test_a_subscriber_that_never_reads_again_is_dropped(tuned_imkit: IMKit) -> None:
    """Nothing waits for it and nothing is kept for it: once its socket has stayed full for
    the send timeout (1 s here), the server lets it go (the stream count shows it), even
    though the server is stuck sending to it and cannot even tell it "too slow"."""
    imkit = tuned_imkit
    imkit.user("alice")
    imkit.room("lobby", "alice", [])
    start = head(imkit)
    base = _open_streams(imkit.base_url)
    options = {"sock": _small_buffer_socket(imkit.base_url), "max_queue": 1}
    stalled = await open_stream(imkit.base_url, imkit.api_key, options=options)
    fast = await open_stream(imkit.base_url, imkit.api_key)
    try:
        assert _open_streams(imkit.base_url) == base + 2
        # Megabytes more than the kernel's socket buffers hold.
        events = 3 * TUNED_QUEUE_SIZE
        for n in range(events):
            await send_messages(imkit, "alice", "lobby", 1, size=BODY_CHARS, concurrency=1)
            await fast.read_until_seq(start + n + 1)
        deadline = time.monotonic() + 20
        while _open_streams(imkit.base_url) != base + 1 and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        assert _open_streams(imkit.base_url) == base + 1  # the fast one is still there
        await send_messages(imkit, "alice", "lobby", 1, concurrency=1)
        await fast.read_until_seq(start + events + 1)
    finally:
        stalled.abort()
        await fast.close()

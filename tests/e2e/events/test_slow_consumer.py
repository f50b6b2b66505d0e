"""A subscriber that stops reading is closed with 4008 and told where to resume; nobody else
waits for it, and resuming gives it the rest, in order, once (server queue: 8 events)."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from tests.e2e.events.apps import head, send_messages
from tests.e2e.events.client import Stream, open_stream
from tests.e2e.events.conftest import TUNED_QUEUE_SIZE
from tests.e2e.imkit.conftest import IMKit

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


async def _expect_idle(stream: Stream, newest: int) -> None:
    """The stream is caught up and open: the next frame is a heartbeat at ``newest``."""
    assert await stream.frame() == {"type": "heartbeat", "seq": newest}


async def test_a_stalled_subscriber_is_closed_and_resumes_where_it_stopped(
    tuned_imkit: IMKit,
) -> None:
    imkit = tuned_imkit
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

"""An independent client of ``/v1/events/ws`` (the `websockets` library, nothing of chatpins).

Built from the protocol as documented: a ``hello`` frame first, then ``event`` frames (or ZIM's
``conversationChanged``) in ``seq`` order, ``heartbeat`` frames when quiet, ``pong`` for a
``ping``; close codes 4400 / 4401 / 4008 / 1012.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

FRAME_TIMEOUT_S = 15.0
# Event frames carry a seq; these are the frame types that do.
EVENT_FRAMES = ("event", "conversationChanged")


def ws_url(base_url: str, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    url = base_url.replace("http://", "ws://", 1) + "/v1/events/ws"
    return f"{url}?{query}" if query else url


def seq_of(frame: dict[str, Any]) -> int:
    return frame["event"]["seq"] if frame["type"] == "event" else frame["seq"]


@dataclass
class Closed:
    """How the server ended a connection."""

    code: int | None
    reason: str


@dataclass
class Stream:
    """One open stream: the ``hello`` it began with, and the frames read since."""

    ws: ClientConnection
    hello: dict[str, Any]
    frames: list[dict[str, Any]] = field(default_factory=list)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["type"] in EVENT_FRAMES]

    @property
    def seqs(self) -> list[int]:
        return [seq_of(f) for f in self.events]

    async def frame(self, wait_s: float = FRAME_TIMEOUT_S) -> dict[str, Any]:
        """The next frame, whatever its type (fails on close or timeout)."""
        async with asyncio.timeout(wait_s):
            frame = json.loads(await self.ws.recv())
        self.frames.append(frame)
        return frame

    async def next_event(self, wait_s: float = FRAME_TIMEOUT_S) -> dict[str, Any]:
        """The next event frame, skipping heartbeats."""
        async with asyncio.timeout(wait_s):
            while True:
                frame = await self.frame(wait_s)
                if frame["type"] in EVENT_FRAMES:
                    return frame

    async def read_events(self, count: int, wait_s: float = FRAME_TIMEOUT_S) -> list[int]:
        """Read ``count`` event frames; their seqs."""
        return [seq_of(await self.next_event(wait_s)) for _ in range(count)]

    async def read_until_seq(self, seq: int, wait_s: float = FRAME_TIMEOUT_S) -> None:
        """Read until the event with ``seq`` (or a later one) has arrived."""
        async with asyncio.timeout(wait_s):
            while not self.seqs or self.seqs[-1] < seq:
                await self.next_event(wait_s)

    async def read_until_closed(self, wait_s: float = FRAME_TIMEOUT_S) -> Closed:
        """Read every frame left, then how the server closed the connection."""
        async with asyncio.timeout(wait_s):
            while True:
                try:
                    self.frames.append(json.loads(await self.ws.recv()))
                except ConnectionClosed as closed:
                    frame = closed.rcvd
                    return Closed(frame.code if frame else None, frame.reason if frame else "")

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake (a crash or a lost network)."""
        self.ws.transport.abort()

    async def close(self) -> None:
        await self.ws.close()


async def open_stream(
    base_url: str,
    credential: str | None,
    *,
    in_query: bool = False,
    options: dict[str, Any] | None = None,
    **params: Any,
) -> Stream:
    """Connect, read the ``hello`` and return the stream (fails if the server closes instead).

    ``params``: the query (``after``, ``format``, ``app_id``); ``options``: more arguments of
    `websockets.asyncio.client.connect` (``sock``, ``max_queue``)."""
    ws = await _connect(base_url, credential, in_query, params, options)
    try:
        async with asyncio.timeout(FRAME_TIMEOUT_S):
            hello = json.loads(await ws.recv())
    except BaseException:
        await ws.close()
        raise
    assert hello["type"] == "hello", hello
    return Stream(ws, hello)


async def rejected(
    base_url: str, credential: str | None, *, in_query: bool = False, **params: Any
) -> Closed:
    """Connect with what should be refused; how the server closed (asserting no frame came)."""
    ws = await _connect(base_url, credential, in_query, params)
    async with asyncio.timeout(FRAME_TIMEOUT_S):
        try:
            frame = await ws.recv()
        except ConnectionClosed as closed:
            rcvd = closed.rcvd
            return Closed(rcvd.code if rcvd else None, rcvd.reason if rcvd else "")
    await ws.close()
    raise AssertionError(f"expected a close, got the frame {frame!r}")


async def _connect(
    base_url: str,
    credential: str | None,
    in_query: bool,
    params: dict[str, Any],
    options: dict[str, Any] | None = None,
) -> ClientConnection:
    headers = {}
    if credential is not None:
        if in_query:
            params = {"access_token": credential, **params}
        else:
            headers["Authorization"] = f"Bearer {credential}"
    return await connect(
        ws_url(base_url, **params),
        additional_headers=headers,
        open_timeout=FRAME_TIMEOUT_S,
        # The server's heartbeats keep a stream alive; protocol pings would only add noise.
        ping_interval=None,
        max_size=4 * 1024 * 1024,
        proxy=None,  # a loopback server: never through a proxy from the environment
        **(options or {}),
    )

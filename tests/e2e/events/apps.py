"""An app under test: a fresh one on any server, its events made through IMKit and read back
through the native REST outbox (the truth the stream is checked against)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import httpx

from tests.e2e.imkit.conftest import IMKit
from tests.e2e.live_server import Server, admin_client, create_app


@contextlib.contextmanager
def imkit_app(server: Server, name: str) -> Iterator[IMKit]:
    """A fresh app on a private server (the `imkit` fixture is for the session's `server`)."""
    with (
        admin_client(server) as admin,
        httpx.Client(base_url=server.base_url, timeout=30.0) as http,
    ):
        yield IMKit(server.base_url, admin, create_app(admin, name), http)


def outbox(imkit: IMKit, after: int = 0) -> list[dict[str, Any]]:
    """Every event of the app after ``after``, through the native REST list (admin key)."""
    events: list[dict[str, Any]] = []
    while True:
        reply = imkit.admin.get(
            f"/v1/apps/{imkit.app['id']}/events", params={"after": after, "limit": 1000}
        )
        assert reply.status_code == 200, reply.text
        page = reply.json()
        events += page["events"]
        if not page["events"]:
            return events
        after = page["next_after"]


def head(imkit: IMKit) -> int:
    """The app's newest seq, through the REST list."""
    events = outbox(imkit)
    return events[-1]["seq"] if events else 0


async def send_messages(
    imkit: IMKit,
    sender: str,
    room: str,
    count: int,
    *,
    size: int = 0,
    concurrency: int = 8,
) -> None:
    """``count`` text messages from ``sender`` in ``room`` over IMKit, ``concurrency`` at a time
    (each ``size`` characters long when given)."""
    headers = {"IM-CLIENT-KEY": imkit.client_key, "IM-Authorization": imkit.tokens[sender]}
    numbers = iter(range(count))

    async def worker(http: httpx.AsyncClient) -> None:
        for n in numbers:
            text = f"m{n} ".ljust(size, "x") if size else f"m{n}"
            body = {"message": text, "messageType": "text"}
            reply = await http.post(f"/rooms/{room}/message", json=body)
            assert reply.status_code == 200, reply.text

    async with httpx.AsyncClient(
        base_url=imkit.base_url,
        headers=headers,
        timeout=60.0,
        limits=httpx.Limits(max_connections=concurrency),
    ) as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))

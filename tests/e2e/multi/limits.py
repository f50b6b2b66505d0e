"""Feishu's limits checked across instances (feishu.md §5): with the app's clock stopped no
window can slide, so a limit shared by every instance lets through exactly its number, while
limits kept in each process would let through up to that number per instance."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

from tests.e2e.feishu_client import Feishu, expect_error
from tests.e2e.multi.cluster import Pair

ENDPOINT_LIMIT = 50  # every endpoint: 50 per second per app
ENDPOINT_BURST = 60  # 30 through each instance: within the limit of either alone
MESSAGE_LIMIT = 5  # pin and unpin together: 5 per second per message_id
MESSAGE_BURST = 20
APP_RATE_LIMITED = 99991400
MESSAGE_RATE_LIMITED = 230047
# Requests in flight at once, both instances together. The clock stands still, so how many
# run at once changes no count; it keeps each instance's database pool small (on a shared
# PostgreSQL a connection per request in flight could exhaust it).
IN_FLIGHT = 16


def frozen_feishu_app(pair: Pair, name: str) -> tuple[Feishu, Feishu]:
    """A fresh app whose clock stands still, seen through lark-oapi on A and on B. It is
    stopped before either instance has served the app, so neither holds its running clock."""
    app = pair.new_app(name)
    assert pair.clock(app, frozen=True)["frozen"] is True
    return pair.a.feishu(app), pair.b.feishu(app)


Request = tuple[str, str, dict[str, Any] | None]  # method, path, JSON body


def burst(pair: Pair, token: str, requests: list[Request]) -> list[httpx.Response]:
    """Send ``(method, path, body)`` requests with a tenant token, the first through A, the second
    through B and so on, ``IN_FLIGHT`` at a time over kept-alive connections (a burst that
    spends its time in the servers, not in connecting); the replies in request order."""

    async def run() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {token}"}
        gate = asyncio.Semaphore(IN_FLIGHT)
        async with (
            httpx.AsyncClient(base_url=pair.a.base_url, headers=headers, timeout=30) as to_a,
            httpx.AsyncClient(base_url=pair.b.base_url, headers=headers, timeout=30) as to_b,
        ):

            async def one(n: int, method: str, path: str, body: Any) -> httpx.Response:
                async with gate:
                    return await (to_a, to_b)[n % 2].request(method, path, json=body)

            return list(await asyncio.gather(*(one(n, *r) for n, r in enumerate(requests))))

    return asyncio.run(run())


def codes(replies: list[httpx.Response]) -> Counter[int]:
    return Counter(reply.json()["code"] for reply in replies)


def by_instance(replies: list[httpx.Response]) -> Counter[tuple[str, Any]]:
    """Codes per instance, for a failure's message."""
    return Counter((("A", "B")[n % 2], r.json().get("code")) for n, r in enumerate(replies))


def assert_endpoint_limit_shared(pair: Pair, name: str) -> None:
    """``ENDPOINT_BURST`` concurrent reads of one chat, alternately through A and B: exactly
    ``ENDPOINT_LIMIT`` answered, the others 99991400 with HTTP 429."""
    on_a, _ = frozen_feishu_app(pair, name)
    chat_id = on_a.create_chat()
    path = f"/open-apis/im/v1/chats/{chat_id}"
    replies = burst(pair, on_a.tenant_token(), [("GET", path, None)] * ENDPOINT_BURST)
    expected = {0: ENDPOINT_LIMIT, APP_RATE_LIMITED: ENDPOINT_BURST - ENDPOINT_LIMIT}
    assert codes(replies) == expected, by_instance(replies)
    for reply in replies:
        if reply.json()["code"] != 0:
            expect_error(reply, APP_RATE_LIMITED, status=429)

"""The Redis-backed limiter against a real Redis: exact under concurrency across clients (as
across instances), the app clock's timeline, forgetting an app, and falling back to process
memory while Redis is away, then sharing again by itself when it returns."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator

import pytest

from chatpins.infra.redis_ratelimit import RedisRateLimiter, connect
from tests.redis_server import PrivateRedis

REDIS_URL = os.environ.get("CHATPINS_TEST_REDIS_URL")


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        if os.environ.get("CHATPINS_REQUIRE_POSTGRES") == "1":
            pytest.fail("CHATPINS_TEST_REDIS_URL is not set", pytrace=False)
        pytest.skip("CHATPINS_TEST_REDIS_URL not set")
    return REDIS_URL


@pytest.fixture
async def limiters(redis_url: str) -> AsyncIterator[list[RedisRateLimiter]]:
    """Two limiters on two connections: two instances of the server."""
    made = [RedisRateLimiter(connect(redis_url)) for _ in range(2)]
    yield made
    for limiter in made:
        await limiter.close()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def _app() -> str:
    return "app_" + secrets.token_hex(6)


async def test_allows_exactly_the_limit_then_says_how_long_to_wait(
    limiters: list[RedisRateLimiter],
) -> None:
    key = f"api:{_app()}:POST /x:1.0"
    results = [await limiters[0].hit(key, 5, 1.0) for _ in range(6)]
    assert results[:5] == [None] * 5
    assert results[5] is not None and 0 < results[5] <= 1.0


async def test_parallel_hits_from_two_instances_never_pass_the_limit(
    limiters: list[RedisRateLimiter],
) -> None:
    key = f"message:{_app()}:om_1"
    hits = [limiters[i % 2].hit(key, 20, 60.0) for i in range(100)]
    results = await asyncio.gather(*hits)
    assert sum(r is None for r in results) == 20
    assert not any(limiter.degraded for limiter in limiters)


async def test_a_window_follows_the_time_it_is_given(limiters: list[RedisRateLimiter]) -> None:
    limiter = limiters[0]
    key = f"api:{_app()}:GET /y:1.0"
    assert await limiter.hit(key, 2, 1.0, at=10.0) is None
    assert await limiter.hit(key, 2, 1.0, at=10.5) is None
    assert await limiter.hit(key, 2, 1.0, at=10.9) == pytest.approx(0.1)
    assert await limiter.hit(key, 2, 1.0, at=11.0) is None  # the first hit left the window
    assert await limiter.hit(key, 2, 1.0, at=11.2) is not None
    # Time set back (a test moved its app's clock back): the key starts afresh.
    assert await limiter.hit(key, 2, 1.0, at=3.0) is None


async def test_forgetting_an_app_drops_its_windows_only(limiters: list[RedisRateLimiter]) -> None:
    limiter = limiters[0]
    app, other = _app(), _app()
    keys = [f"api:{app}:POST /x:1.0", f"imkit-api-key:{app}", f"zim:{other}:action:ConvPinned"]
    for key in keys:
        assert await limiter.hit(key, 1, 60.0) is None
        assert await limiter.hit(key, 1, 60.0) is not None
    await limiters[1].forget(app)
    assert await limiter.hit(keys[0], 1, 60.0) is None
    assert await limiter.hit(keys[1], 1, 60.0) is None
    assert await limiter.hit(keys[2], 1, 60.0) is not None


async def test_an_app_id_with_glob_characters_is_matched_literally(
    limiters: list[RedisRateLimiter],
) -> None:
    limiter = limiters[0]
    suffix = secrets.token_hex(4)
    starred, plain = f"a*{suffix}", f"ab{suffix}"
    for app in (starred, plain):
        assert await limiter.hit(f"api:{app}:x", 1, 60.0) is None
    await limiter.forget(starred)
    assert await limiter.hit(f"api:{starred}:x", 1, 60.0) is None
    assert await limiter.hit(f"api:{plain}:x", 1, 60.0) is not None


async def test_redis_away_limits_in_process_and_shares_again_when_it_returns(
    private_redis: PrivateRedis,
) -> None:
    fallbacks = 0

    def counted() -> None:
        nonlocal fallbacks
        fallbacks += 1

    a = RedisRateLimiter(connect(private_redis.url), retry_seconds=0.0, on_fallback=counted)
    b = RedisRateLimiter(connect(private_redis.url), retry_seconds=0.0)
    try:
        key = f"api:{_app()}:POST /x:1.0"
        assert await a.hit(key, 1, 60.0) is None
        assert await b.hit(key, 1, 60.0) is not None  # shared: b sees a's hit

        private_redis.stop()
        # Still served, each process counting on its own: a fresh window here.
        assert await a.hit(key, 1, 60.0) is None
        assert await a.hit(key, 1, 60.0) is not None
        assert a.degraded and fallbacks == 2
        assert not await a.probe()

        private_redis.start()  # an empty Redis: the windows start afresh, shared again
        assert await a.probe()
        assert not a.degraded
        assert await a.hit(key, 1, 60.0) is None
        assert await b.hit(key, 1, 60.0) is not None
        assert fallbacks == 2
    finally:
        await a.close()
        await b.close()


async def test_while_redis_is_away_it_is_tried_again_only_after_the_pause(
    private_redis: PrivateRedis,
) -> None:
    limiter = RedisRateLimiter(connect(private_redis.url), retry_seconds=3600.0)
    try:
        key = f"api:{_app()}:POST /x:1.0"
        private_redis.stop()
        assert await limiter.hit(key, 5, 60.0) is None
        private_redis.start()
        # Within the pause every hit is decided in process, without waiting on Redis.
        assert await limiter.hit(key, 5, 60.0) is None
        assert limiter.degraded
        # A readiness probe finds Redis back and ends the pause at once.
        assert await limiter.probe()
        assert await limiter.hit(key, 1, 60.0) is None
        assert await limiter.hit(key, 1, 60.0) is not None
    finally:
        await limiter.close()

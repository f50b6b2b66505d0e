from __future__ import annotations

import pytest

from chatpins.infra.ratelimit import MemoryRateLimiter


async def test_allows_exactly_limit_hits_per_window() -> None:
    limiter = MemoryRateLimiter()
    results = [await limiter.hit("k", 5, 1.0) for _ in range(6)]
    assert results[:5] == [None] * 5
    assert results[5] is not None and 0 < results[5] <= 1.0


async def test_window_slides() -> None:
    limiter = MemoryRateLimiter()
    assert await limiter.hit("k", 2, 1.0, at=10.0) is None
    assert await limiter.hit("k", 2, 1.0, at=10.5) is None
    assert await limiter.hit("k", 2, 1.0, at=10.9) == pytest.approx(0.1)
    # At 11.0 the first hit has left the window, the second has not.
    assert await limiter.hit("k", 2, 1.0, at=11.0) is None
    assert await limiter.hit("k", 2, 1.0, at=11.2) is not None


async def test_keys_are_independent() -> None:
    limiter = MemoryRateLimiter()
    assert await limiter.hit("a", 1, 1.0) is None
    assert await limiter.hit("b", 1, 1.0) is None
    assert await limiter.hit("a", 1, 1.0) is not None


async def test_idle_keys_are_evicted_when_full() -> None:
    limiter = MemoryRateLimiter(max_keys=2)
    await limiter.hit("a", 1, 1.0)
    await limiter.hit("b", 1, 1.0)
    limiter._hits["a"][-1] -= 1000  # pretend "a" has been idle for long
    await limiter.hit("c", 1, 1.0)
    assert "a" not in limiter._hits and "c" in limiter._hits


async def test_hits_at_a_given_time_follow_that_time() -> None:
    """An app's moved clock: the window passes when its time does, not the real time."""
    limiter = MemoryRateLimiter()
    assert [await limiter.hit("k", 2, 1.0, at=100.0) for _ in range(2)] == [None, None]
    assert await limiter.hit("k", 2, 1.0, at=100.0) == 1.0
    assert await limiter.hit("k", 2, 1.0, at=101.0) is None


async def test_time_going_back_starts_the_key_afresh() -> None:
    """A test set its app's clock back (or to the real time again): the old hits, in the
    future of the new time, count no more instead of blocking the key for good."""
    limiter = MemoryRateLimiter()
    for _ in range(2):
        await limiter.hit("k", 2, 1.0, at=5_000_000.0)
    assert await limiter.hit("k", 2, 1.0, at=10.0) is None

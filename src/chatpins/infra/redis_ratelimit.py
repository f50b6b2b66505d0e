"""Rate limits shared by every instance, in Redis.

The same exact sliding log as :class:`~chatpins.infra.ratelimit.MemoryRateLimiter`, kept in
one sorted set per key (score: the hit's time in microseconds). One Lua script per hit trims
the window, counts and adds, so two instances hitting one key at once can never both take the
last slot. Without a moved app clock the time is Redis's own (``TIME``): every instance reads
one clock, whatever their hosts' clocks say.

Redis unreachable: limits fall back to this process's memory (each instance then allows the
full rate, as a lone instance would), :attr:`degraded` says so for ``/readyz``, ``on_fallback``
counts each hit decided that way, and Redis is tried again after ``retry_seconds`` — it
recovers by itself when Redis returns.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import structlog
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from chatpins.infra.ratelimit import MemoryRateLimiter

# Any failure of Redis (unreachable, timed out, loading, out of memory, read-only replica)
# means the same thing here: decide in process, never fail the request for it.
_REDIS_DOWN = (RedisError, OSError)
KEY_PREFIX = "chatpins:rl:"
MOVED_CLOCK_KEEP_MS = 3_600_000
# A hit waits at most this long for Redis before it is decided in process: a limit check must
# not make a request hang on a Redis that stopped answering.
REDIS_TIMEOUT_SECONDS = 0.25

log = structlog.get_logger(__name__)

# KEYS[1] the window's key. ARGV: limit, window (µs), now (µs; negative: Redis's TIME), member,
# how long the key outlives its last hit (ms).
# Returns -1 when allowed, else the µs until the oldest hit leaves the window.
_HIT = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
if newest[2] ~= nil and tonumber(newest[2]) > now then
  -- Time went back for this key (a test moved its app's clock back): another timeline.
  redis.call('DEL', key)
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, tonumber(ARGV[5]))
return -1
"""


def connect(url: str) -> Redis:
    """A client that fails fast: short timeouts and one retry, which is what a pooled connection
    that Redis closed (a restart) needs to reconnect; then the fallback takes over."""
    return Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 1),
    )


class RedisRateLimiter:
    def __init__(
        self,
        redis: Redis,
        *,
        fallback: MemoryRateLimiter | None = None,
        retry_seconds: float = 1.0,
        on_fallback: Callable[[], None] | None = None,
    ) -> None:
        self._redis = redis
        self._fallback = fallback or MemoryRateLimiter()
        self._script = redis.register_script(_HIT)
        self._retry_seconds = retry_seconds
        self.on_fallback = on_fallback
        self._down_until: float | None = None  # monotonic time to try Redis again

    @property
    def degraded(self) -> bool:
        """True while limits are decided in process because Redis did not answer."""
        return self._down_until is not None

    async def hit(
        self, key: str, limit: int, window_seconds: float, *, at: float | None = None
    ) -> float | None:
        if self._down_until is not None and time.monotonic() < self._down_until:
            return await self._decide_here(key, limit, window_seconds, at)
        now_us = -1 if at is None else int(at * 1_000_000)
        # A key outlives its window by a second of real time. On a test's moved clock the
        # window passes with the app's time, which may stand still (frozen) for long: the key
        # stays an hour, so a frozen window holds as it does in memory.
        keep_ms = int(window_seconds * 1000) + 1000 if at is None else MOVED_CLOCK_KEEP_MS
        try:
            wait_us = await self._script(
                keys=[KEY_PREFIX + key],
                args=[limit, int(window_seconds * 1_000_000), now_us, os.urandom(8).hex(), keep_ms],
            )
        except _REDIS_DOWN as exc:
            if self._down_until is None:
                log.warning("rate_limits_in_process", reason="redis_unreachable", error=str(exc))
            self._down_until = time.monotonic() + self._retry_seconds
            return await self._decide_here(key, limit, window_seconds, at)
        if self._down_until is not None:
            log.info("rate_limits_shared_again")
            self._down_until = None
        return None if int(wait_us) < 0 else int(wait_us) / 1_000_000

    async def _decide_here(
        self, key: str, limit: int, window_seconds: float, at: float | None
    ) -> float | None:
        if self.on_fallback is not None:
            self.on_fallback()
        return await self._fallback.hit(key, limit, window_seconds, at=at)

    async def forget(self, app_id: str) -> None:
        await self._fallback.forget(app_id)
        # Keys name their app second (``kind:app_id[:…]``); the app id is matched literally.
        app = _glob_escape(app_id)
        try:
            for pattern in (f"{KEY_PREFIX}*:{app}", f"{KEY_PREFIX}*:{app}:*"):
                async for key in self._redis.scan_iter(match=pattern, count=1000):
                    name = key.decode().removeprefix(KEY_PREFIX)
                    if name.split(":", 2)[1:2] == [app_id]:
                        await self._redis.delete(key)
        except _REDIS_DOWN as exc:
            # A reset is not refused for it: the app's windows run out within a minute.
            log.warning("rate_limits_not_forgotten", app=app_id, error=str(exc))

    async def probe(self) -> bool:
        """Whether Redis answers now (``/readyz``); an answer ends a fallback at once."""
        try:
            answered = bool(await self._redis.ping())
        except _REDIS_DOWN:
            return False
        if answered and self._down_until is not None:
            log.info("rate_limits_shared_again")
            self._down_until = None
        return answered

    async def close(self) -> None:
        await self._redis.aclose()


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)

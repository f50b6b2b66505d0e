"""Sliding-window rate limiting, in process.

A sliding log (every hit's time within the window) is exact: N+1 operations inside any window
of the given length are refused, wherever the window starts — fixed buckets would let 2N through
across a bucket edge.
"""

from __future__ import annotations

import time
from collections import deque


class MemoryRateLimiter:
    def __init__(self, *, max_keys: int = 100_000) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, limit: int, window_seconds: float) -> float | None:
        # No await inside: the check and the count are atomic within the event loop.
        now = time.monotonic()
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self._max_keys:
                self._evict_idle(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - window_seconds:
            hits.popleft()
        if len(hits) >= limit:
            return hits[0] + window_seconds - now
        hits.append(now)
        return None

    def _evict_idle(self, now: float) -> None:
        # Keys whose newest hit is older than any window we use (1 min) carry no state.
        stale = [k for k, hits in self._hits.items() if not hits or hits[-1] < now - 120]
        for key in stale:
            del self._hits[key]

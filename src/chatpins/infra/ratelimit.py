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

    async def hit(
        self, key: str, limit: int, window_seconds: float, *, at: float | None = None
    ) -> float | None:
        # No await inside: the check and the count are atomic within the event loop.
        now = time.monotonic() if at is None else at
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self._max_keys:
                self._evict_idle(now)
            hits = self._hits[key] = deque()
        elif hits and hits[-1] > now:
            # Time went back for this key (a test set its app's clock back, or to the real
            # time again): the hits belong to another timeline and count no more.
            hits.clear()
        while hits and hits[0] <= now - window_seconds:
            hits.popleft()
        if len(hits) >= limit:
            return hits[0] + window_seconds - now
        hits.append(now)
        return None

    async def forget(self, app_id: str) -> None:
        """Drop every window of one app (an app reset). Keys name their app second:
        ``kind:app_id`` or ``kind:app_id:…``."""
        for key in [k for k in self._hits if k.split(":", 2)[1:2] == [app_id]]:
            del self._hits[key]

    def _evict_idle(self, now: float) -> None:
        # Keys whose newest hit is older than any window we use (1 min) carry no state.
        stale = [k for k, hits in self._hits.items() if not hits or hits[-1] < now - 120]
        for key in stale:
            del self._hits[key]

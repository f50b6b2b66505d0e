"""A short memory of authenticated identities, so a busy token is not looked up per request.

An entry lives ``ttl_ms`` (1 s): every write to apps, users or tokens made by this process
forgets them all at commit, so in one process a revoked token or a changed app setting takes
effect at once; another instance's change takes effect within the second. A token's own expiry
is checked on every use, cached or not.
"""

from __future__ import annotations

from typing import Generic, TypeVar

V = TypeVar("V")

TTL_MS = 1000
MAX_ENTRIES = 10_000


class Recent(Generic[V]):
    def __init__(self, ttl_ms: int = TTL_MS, max_entries: int = MAX_ENTRIES) -> None:
        self._ttl_ms = ttl_ms
        self._max = max_entries
        self._entries: dict[str, tuple[int, V]] = {}

    def get(self, key: str, now_ms: int) -> V | None:
        found = self._entries.get(key)
        if found is None or now_ms - found[0] >= self._ttl_ms:
            return None
        return found[1]

    def put(self, key: str, value: V, now_ms: int) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (now_ms, value)

    def clear(self) -> None:
        self._entries.clear()

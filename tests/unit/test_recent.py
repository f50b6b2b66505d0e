"""The short memory of authenticated identities."""

from __future__ import annotations

from chatpins.core.recent import Recent


def test_an_entry_lives_for_its_ttl_only() -> None:
    recent: Recent[str] = Recent(ttl_ms=1000)
    recent.put("k", "alice", now_ms=10_000)
    assert recent.get("k", now_ms=10_999) == "alice"
    assert recent.get("k", now_ms=11_000) is None
    assert recent.get("other", now_ms=10_000) is None


def test_clear_forgets_everything_and_size_is_bounded() -> None:
    recent: Recent[int] = Recent(ttl_ms=1000, max_entries=3)
    for n in range(3):
        recent.put(str(n), n, now_ms=0)
    recent.put("3", 3, now_ms=0)  # full: starts over rather than grow
    assert recent.get("0", now_ms=1) is None and recent.get("3", now_ms=1) == 3
    recent.clear()
    assert recent.get("3", now_ms=1) is None

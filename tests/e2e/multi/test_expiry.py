"""Expiry with two sweepers: both instances sweep the same database, and every expired pin
gets one `expired` history row and one `pin.deleted` event — never two."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.e2e.multi.cluster import NO_PACING, Pair, metric, outbox, wait_for
from tests.e2e.native.client import Native, pin_op

pytestmark = pytest.mark.postgres

CHATS = 10
PINS_PER_CHAT = 3
TTL_S = 60
EXPIRED = 'chatpins_pins_changed_total{action="expired"}'


def _expired_events(pair: Pair, app: dict[str, Any]) -> Counter[tuple[str, str]]:
    return Counter(
        (e["payload"]["chat_id"], e["payload"]["message_id"])
        for e in outbox(pair.a.admin, app)
        if e["type"] == "pin.deleted" and e["payload"]["action"] == "expired"
    )


def _expired_metric(pair: Pair) -> float:
    """Pins expired by both instances' sweepers, all apps together."""
    values = [metric(i.metrics(), "chatpins_pins_changed_total", action="expired") for i in pair]
    assert None not in values, f"{EXPIRED} is missing from /metrics"
    return sum(v or 0.0 for v in values)


def test_an_expired_pin_is_swept_once_not_twice(pair: Pair) -> None:
    app = pair.new_app("expiry", **NO_PACING)
    apis: tuple[Native, Native] = (pair.a.native(app), pair.b.native(app))
    apis[0].create_user("owner")
    pinned: set[tuple[str, str]] = set()
    for n in range(CHATS):  # setup alternates instances too
        api = apis[n % 2]
        chat_id = api.create_chat(f"chat {n}", owner="owner")["id"]
        messages = [api.send(chat_id, f"m{i}", sender="owner") for i in range(PINS_PER_CHAT)]
        done = api.batch(chat_id, [pin_op(m, ttl_seconds=TTL_S) for m in messages])
        assert all(r["ok"] for r in done["results"]), done
        pinned |= {(chat_id, m) for m in messages}
    metric_before = _expired_metric(pair)

    pair.clock(app, advance_ms=2 * TTL_S * 1000)
    wait_for(
        lambda: set(_expired_events(pair, app)) >= pinned,
        f"{len(pinned)} pin.deleted (expired) events",
    )
    # A barrier: one more pin expires and is swept, so the sweepers have run again since
    # and would have written a second sweep of the others by now.
    barrier_chat = next(iter(pinned))[0]
    barrier = apis[1].send(barrier_chat, "barrier", sender="owner")
    apis[1].pin(barrier_chat, barrier, ttl_seconds=TTL_S)
    pair.clock(app, advance_ms=2 * TTL_S * 1000)
    wait_for(
        lambda: (barrier_chat, barrier) in _expired_events(pair, app),
        "the barrier pin's expired event",
    )

    expired = pinned | {(barrier_chat, barrier)}
    assert _expired_events(pair, app) == Counter(expired)  # each exactly once
    for chat_id in {c for c, _ in expired}:
        rows = [r for r in apis[1].history(chat_id) if r["action"] == "expired"]
        assert Counter(r["message_id"] for r in rows) == Counter(
            m for c, m in expired if c == chat_id
        )
        assert {(r["actor"], r["dialect"]) for r in rows} == {(None, "system")}
        assert apis[0].pinned_ids(chat_id) == []
    # The sweepers' commits are counted once each, whichever instance made them.
    expected = metric_before + len(expired)
    wait_for(lambda: _expired_metric(pair) >= expected, "the expired pins counted in /metrics")
    assert _expired_metric(pair) == expected

"""Redis stopped under running instances: both keep serving, with limits counted in each
process, and say so on `/readyz` (200 `degraded`); Redis back: both ready again by themselves
and limits shared again.

On a pair of its own: after Redis returns, each instance subscribes to the event notices again
within a second (until then a stream on the other instance finds new events by polling), which
must not reach the shared pair's stream tests.
"""

from __future__ import annotations

import pytest

from tests.e2e.multi.cluster import Instance, Pair, wait_for
from tests.e2e.multi.limits import assert_endpoint_limit_shared

pytestmark = pytest.mark.postgres

DEGRADED = {
    "status": "degraded",
    "checks": {"database": "ok", "schema": "ok", "redis": "unreachable"},
}
READY = {"status": "ok", "checks": {"database": "ok", "schema": "ok", "redis": "ok"}}


def _ready(instance: Instance) -> bool:
    reply = instance.readyz()
    return reply.status_code == 200 and reply.json() == READY


def test_redis_stopped_then_started_again(private_pair: Pair) -> None:
    pair = private_pair
    app = pair.new_app("redis outage")
    on_a, on_b = pair.a.feishu(app), pair.b.feishu(app)
    chat_id = on_a.create_chat()

    pair.redis.stop()
    try:
        for instance in pair:
            ready = instance.readyz()
            assert (ready.status_code, ready.json()) == (200, DEGRADED), instance.name
        # Still serving, and still one state across both.
        message_id = on_b.send_text(chat_id, "while Redis is away")
        on_a.pin_ok(message_id)
        assert on_b.pinned_ids(chat_id) == [message_id]
        on_b.expect_ok(on_b.unpin(message_id))
        assert on_a.pinned_ids(chat_id) == []
    finally:
        pair.redis.start()

    wait_for(lambda: all(_ready(i) for i in pair), "/readyz of both to be ok again")
    assert_endpoint_limit_shared(pair, "limits after the outage")

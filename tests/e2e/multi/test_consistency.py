"""A client whose requests a load balancer spreads over two instances sees one state: each
step reads what the step before wrote through the other instance."""

from __future__ import annotations

import pytest

from tests.e2e.multi.cluster import Pair

pytestmark = pytest.mark.postgres


def _pin_tuple(pin: object) -> tuple[object, ...]:
    return tuple(
        getattr(pin, name)
        for name in ("message_id", "chat_id", "operator_id", "operator_id_type", "create_time")
    )


def test_a_client_alternating_between_instances_sees_one_state(pair: Pair) -> None:
    app = pair.new_app("alternating")
    on_a, on_b = pair.a.feishu(app), pair.b.feishu(app)

    chat_id = on_a.create_chat(name="made on A")
    assert on_b.expect_ok(on_b.get_chat(chat_id)).name == "made on A"
    message_id = on_b.send_text(chat_id, "sent through B")
    pin = on_a.pin_ok(message_id)
    assert [_pin_tuple(p) for p in on_b.all_pins(chat_id)] == [_pin_tuple(pin)]
    assert _pin_tuple(on_b.pin_ok(message_id)) == _pin_tuple(pin)  # pinned already: the same

    on_b.expect_ok(on_b.unpin(message_id))
    assert on_a.pinned_ids(chat_id) == []
    assert on_b.pinned_ids(chat_id) == []

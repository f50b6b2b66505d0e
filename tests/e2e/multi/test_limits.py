"""Feishu's per-endpoint and per-message limits hold across both instances."""

from __future__ import annotations

import pytest

from tests.e2e.feishu_client import expect_error
from tests.e2e.multi.cluster import Pair
from tests.e2e.multi.limits import (
    MESSAGE_BURST,
    MESSAGE_LIMIT,
    MESSAGE_RATE_LIMITED,
    Request,
    assert_endpoint_limit_shared,
    burst,
    by_instance,
    codes,
    frozen_feishu_app,
)

pytestmark = pytest.mark.postgres


def test_the_endpoint_limit_counts_requests_to_both_instances(pair: Pair) -> None:
    assert_endpoint_limit_shared(pair, "endpoint limit")


def test_the_per_message_pin_limit_counts_both_instances(pair: Pair) -> None:
    on_a, on_b = frozen_feishu_app(pair, "message limit")
    chat_id, message_id = on_a.chat_with_message()
    # Pin, pin, unpin, unpin, … on one message, alternately through A and B, at once.
    pin: Request = ("POST", "/open-apis/im/v1/pins", {"message_id": message_id})
    unpin: Request = ("DELETE", f"/open-apis/im/v1/pins/{message_id}", None)
    replies = burst(
        pair, on_a.tenant_token(), [pin if n % 4 < 2 else unpin for n in range(MESSAGE_BURST)]
    )
    expected = {0: MESSAGE_LIMIT, MESSAGE_RATE_LIMITED: MESSAGE_BURST - MESSAGE_LIMIT}
    assert codes(replies) == expected, by_instance(replies)
    for reply in replies:
        if reply.json()["code"] != 0:
            expect_error(reply, MESSAGE_RATE_LIMITED)
    # Both instances read the one list the admitted calls left.
    assert on_a.pinned_ids(chat_id) == on_b.pinned_ids(chat_id)

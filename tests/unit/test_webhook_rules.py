"""Retry schedules and type subscriptions of webhooks."""

from __future__ import annotations

import pytest

from chatpins.core.entities import Webhook, WebhookStatus
from chatpins.core.services.webhooks import DeliveryRules, wants


def test_feishu_retries_follow_the_platform_schedule() -> None:
    rules = DeliveryRules()
    waits = [rules.delay_s("feishu", n, jitter=0.9) for n in range(1, 5)]
    assert waits == [15.0, 300.0, 3600.0, 21600.0]  # jitter-free, as Feishu documents
    assert rules.max_attempts("feishu") == 5  # the first try and four retries


@pytest.mark.parametrize("jitter", [0.0, 0.5, 0.999])
def test_native_retries_double_within_jittered_bounds(jitter: float) -> None:
    rules = DeliveryRules()
    for failures in range(1, 12):
        full = min(3600.0, 10.0 * 2 ** (failures - 1))
        wait = rules.delay_s("native", failures, jitter)
        assert full / 2 <= wait < full or wait == full / 2
    assert rules.delay_s("native", 11, 0.0) == 1800.0  # capped at an hour, halved by jitter 0


def test_the_scale_shrinks_every_wait() -> None:
    assert DeliveryRules(retry_scale=0.01).delay_s("feishu", 1, 0.0) == pytest.approx(0.15)
    assert DeliveryRules(retry_scale=0.01).delay_s("native", 1, 0.0) == pytest.approx(0.05)


def _hook(*types: str) -> Webhook:
    return Webhook(
        "app", "wh", "http://x", "native", list(types), "", "", WebhookStatus.ACTIVE, 0, 0, 0
    )


def test_type_subscriptions() -> None:
    assert wants(_hook(), "anything.at_all")
    assert wants(_hook("pin.*"), "pin.created") and wants(_hook("pin.*"), "pin.deleted")
    assert not wants(_hook("pin.*"), "message.sent")
    assert not wants(_hook("pin.*"), "pinboard.x")  # a family ends at the dot
    assert wants(_hook("message.sent", "chat.*"), "chat.dissolved")
    assert not wants(_hook("message.sent"), "message.recalled")

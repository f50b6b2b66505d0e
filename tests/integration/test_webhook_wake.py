"""Which commits wake the webhook worker: those of an app with an active webhook at its last
round, or of an app whose webhook this process has just added; every commit before the first
round. Any other commit has nothing to deliver and must not cost a round."""

from __future__ import annotations

from chatpins.core.context import Actor, Deps
from chatpins.core.services import webhooks
from chatpins.core.services.webhooks import DeliveryRules, WebhookSpec
from chatpins.delivery.webhooks import NATIVE_EVENT_TYPES, WebhookWorker

RULES = DeliveryRules(retry_scale=0.0, pause_after=3)
NO_WEBHOOKS = "app_without_webhooks"


def _worker(deps: Deps) -> WebhookWorker:
    return WebhookWorker(deps, RULES, poll_seconds=3600)


async def test_before_the_first_round_every_commit_wakes(deps: Deps) -> None:
    worker = _worker(deps)
    worker.committed(NO_WEBHOOKS, 1)
    assert worker.round_due


async def test_only_commits_of_an_app_with_a_webhook_wake(deps: Deps, bot: Actor) -> None:
    await webhooks.register(
        deps, bot.app_id, WebhookSpec("http://127.0.0.1:9/h"), NATIVE_EVENT_TYPES
    )
    worker = _worker(deps)
    await worker.run_round()
    worker.committed(NO_WEBHOOKS, 1)
    assert not worker.round_due
    worker.committed(bot.app_id, 2)
    assert worker.round_due


async def test_a_webhook_added_here_wakes_at_once(deps: Deps, bot: Actor) -> None:
    worker = _worker(deps)
    await worker.run_round()  # no webhook anywhere yet
    worker.committed(bot.app_id, 1)
    assert not worker.round_due
    worker.watch(bot.app_id)
    assert worker.round_due

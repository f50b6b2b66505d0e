"""Webhook rules against the real databases: scheduling with the cursor, leases, retries,
pausing, and one tenant never reaching another's webhooks."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Delivery, DeliveryStatus, Webhook, WebhookStatus
from chatpins.core.errors import InvalidArgument, NotFound
from chatpins.core.services import apps, chats, members, outbox, webhooks
from chatpins.core.services.chats import NewChat
from chatpins.core.services.webhooks import DeliveryRules, Outcome, Wanted, WebhookSpec
from chatpins.delivery.webhooks import NATIVE_EVENT_TYPES
from tests.integration.conftest import as_user

TYPES = NATIVE_EVENT_TYPES
RULES = DeliveryRules(retry_scale=0.0, pause_after=3)
FAIL = Outcome(500, "HTTP 500", 1)
OK = Outcome(200, None, 1)


async def _hook(deps: Deps, bot: Actor, **spec: object) -> Webhook:
    return await webhooks.register(
        deps, bot.app_id, WebhookSpec("http://127.0.0.1:9/h", **spec), TYPES
    )  # type: ignore[arg-type]


async def _schedule_all(deps: Deps, bot: Actor, hook: Webhook) -> int:
    page = await outbox.events_after(deps, bot.app_id, hook.cursor, 1000)
    wanted = [Wanted(e.seq, e.type, f"id-{e.seq}") for e in page if webhooks.wants(hook, e.type)]
    assert await webhooks.schedule(deps, hook, wanted, page[-1].seq)
    hook.cursor = page[-1].seq
    return len(wanted)


async def test_registration_is_checked(deps: Deps, bot: Actor) -> None:
    for bad in (
        WebhookSpec("ftp://example.com/x"),
        WebhookSpec("not a url"),
        WebhookSpec("http://example.com", event_types=["no.such"]),
        WebhookSpec("http://example.com", format="xml"),
        WebhookSpec("http://example.com", after=10_000),
    ):
        with pytest.raises(InvalidArgument):
            await webhooks.register(deps, bot.app_id, bad, TYPES)
    assert await webhooks.list_webhooks(deps, bot.app_id) == []


async def test_from_now_or_from_a_seq(deps: Deps, bot: Actor) -> None:
    await chats.create_chat(deps, bot, NewChat("oc_a"))
    head = await outbox.head(deps, bot.app_id)
    assert (await _hook(deps, bot)).cursor == head
    assert (await _hook(deps, bot, after=0)).cursor == 0


async def test_a_schedule_on_a_moved_cursor_writes_nothing(deps: Deps, bot: Actor) -> None:
    hook = await _hook(deps, bot, after=0)
    await chats.create_chat(deps, bot, NewChat("oc_a"))
    stale = await webhooks.get_webhook(deps, bot.app_id, hook.id)
    assert await _schedule_all(deps, bot, hook) == 1
    assert not await webhooks.schedule(deps, stale, [Wanted(1, "chat.created", "x")], 1)
    assert len(await webhooks.list_deliveries(deps, bot.app_id, hook.id)) == 1


async def test_a_lease_is_held_once_and_failures_pause_the_webhook(deps: Deps, bot: Actor) -> None:
    hook = await _hook(deps, bot, after=0, event_types=["chat.*"])
    for n in range(3):
        await chats.create_chat(deps, bot, NewChat(f"oc_{n}"))
    assert await _schedule_all(deps, bot, hook) == 3
    first, second = await asyncio.gather(
        webhooks.claim(deps, hook, 10, 60_000), webhooks.claim(deps, hook, 10, 60_000)
    )
    assert len(first) + len(second) == 3  # parallel claims never share a delivery
    claimed = first + second
    for delivery in claimed:
        await webhooks.record_attempt(deps, hook, delivery, FAIL, RULES, 0.5)
    paused = await webhooks.get_webhook(deps, bot.app_id, hook.id)
    assert paused.status is WebhookStatus.PAUSED and paused.consecutive_failures == 3
    views = await webhooks.list_deliveries(deps, bot.app_id, hook.id)
    assert all(v.delivery.status is DeliveryStatus.PENDING for v in views)
    assert [len(v.attempts) for v in views] == [1, 1, 1]

    resumed = await webhooks.update_webhook(
        deps, bot.app_id, hook.id, known_types=TYPES, status=WebhookStatus.ACTIVE
    )
    assert resumed.status is WebhookStatus.ACTIVE and resumed.consecutive_failures == 0
    again = await webhooks.claim(deps, hook, 10, 60_000)
    assert sorted(d.seq for d in again) == [1, 2, 3]
    for delivery in again:
        await webhooks.record_attempt(deps, hook, delivery, OK, RULES, 0.5)
    views = await webhooks.list_deliveries(deps, bot.app_id, hook.id)
    assert {v.delivery.status for v in views} == {DeliveryStatus.DELIVERED}
    assert [[a.status_code for a in v.attempts] for v in views] == [[500, 200]] * 3


async def test_out_of_attempts_is_failed_and_kept(deps: Deps, bot: Actor) -> None:
    rules = DeliveryRules(retry_scale=0.0, pause_after=100)
    hook = await _hook(deps, bot, after=0)
    await chats.create_chat(deps, bot, NewChat("oc_a"))
    await _schedule_all(deps, bot, hook)
    for _ in range(rules.max_attempts("native")):
        [delivery] = await webhooks.claim(deps, hook, 10, 60_000)
        await webhooks.record_attempt(deps, hook, delivery, FAIL, rules, 0.0)
    assert await webhooks.claim(deps, hook, 10, 60_000) == []
    [view] = await webhooks.list_deliveries(deps, bot.app_id, hook.id, status=DeliveryStatus.FAILED)
    assert view.delivery.attempts == rules.max_attempts("native") == len(view.attempts)


async def test_another_tenant_cannot_reach_a_webhook(deps: Deps, bot: Actor) -> None:
    hook = await _hook(deps, bot)
    other = (await apps.create_app(deps, "other")).app
    with pytest.raises(NotFound):
        await webhooks.get_webhook(deps, other.id, hook.id)
    with pytest.raises(NotFound):
        await webhooks.delete_webhook(deps, other.id, hook.id)
    with pytest.raises(NotFound):
        await webhooks.list_deliveries(deps, other.id, hook.id)
    assert (await webhooks.get_webhook(deps, bot.app_id, hook.id)).id == hook.id


async def test_the_worker_names_the_app_with_the_webhook(deps: Deps, bot: Actor) -> None:
    """Scheduling, leasing, counting failures and listing name the app as well as the webhook:
    a twin with the same id in another app (the keys promise an id only per app) and its
    pending delivery are left alone."""
    hook = await _hook(deps, bot, after=0)
    other = (await apps.create_app(deps, "other")).app
    twin = dataclasses.replace(hook, app_id=other.id)
    twin_delivery = Delivery(
        app_id=other.id,
        id="dlv_twin",
        webhook_id=hook.id,
        seq=1,
        event_type="chat.created",
        event_id="twin-1",
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=0,
        created_at=0,
    )
    async with deps.uow(write=True) as uow:
        await uow.webhooks.add(twin)
        await uow.deliveries.add_many([twin_delivery])
    await chats.create_chat(deps, bot, NewChat("oc_a"))

    assert await _schedule_all(deps, bot, hook) == 1
    [delivery] = await webhooks.claim(deps, hook, 10, 60_000)
    assert delivery.app_id == bot.app_id
    await webhooks.record_attempt(deps, hook, delivery, FAIL, RULES, 0.0)

    mine = await webhooks.get_webhook(deps, bot.app_id, hook.id)
    theirs = await webhooks.get_webhook(deps, other.id, hook.id)
    assert (mine.cursor, mine.consecutive_failures) == (hook.cursor, 1)
    assert (theirs.cursor, theirs.consecutive_failures) == (0, 0)
    [view] = await webhooks.list_deliveries(deps, bot.app_id, hook.id)
    assert view.delivery.id == delivery.id and len(view.attempts) == 1
    [view] = await webhooks.list_deliveries(deps, other.id, hook.id)
    assert view.delivery == twin_delivery and view.attempts == []


async def test_a_user_sees_only_its_chats_while_it_is_in_them(deps: Deps, bot: Actor) -> None:
    alice = await as_user(deps, bot, "alice")
    await as_user(deps, bot, "bob")
    await chats.create_chat(deps, bot, NewChat("oc_with", member_ids=["alice"]))
    await chats.create_chat(deps, bot, NewChat("oc_without"))
    await members.add_members(deps, bot, "oc_without", ["bob"])
    await members.add_members(deps, bot, "oc_without", ["alice"])
    await members.remove_members(deps, bot, "oc_without", ["alice"])
    await members.add_members(deps, bot, "oc_without", ["bob"])  # no-op, no event
    await chats.update_chat(deps, bot, "oc_without", chats.ChatChanges(name="renamed"))
    viewer = outbox.Viewer(alice.user.id, set())  # as if alice had joined nothing yet
    seen = [
        (e.type, e.audience)
        for e in await outbox.events_after(deps, bot.app_id, 0, 100)
        if viewer.sees(e)
    ]
    assert seen == [
        ("chat.created", "chat:oc_with"),
        ("member.added", "chat:oc_without"),
        ("member.removed", "chat:oc_without"),
    ]

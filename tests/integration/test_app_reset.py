"""Resetting an app on each database: table by table, no row of the app is left but the app
itself, its bot and the bot's tokens; another app is untouched; event ``seq`` keeps growing;
and what the process remembers of the app (identities, rate windows, fault rules) is gone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from chatpins.core.context import Actor, Deps
from chatpins.core.entities import ChatKind
from chatpins.core.errors import NotFound, Unauthenticated
from chatpins.core.faults import Fault
from chatpins.core.services import (
    app_reset,
    apps,
    chats,
    conversations,
    global_pins,
    messages,
    outbox,
    pin_batches,
    pin_lists,
    pins,
    replay,
    tokens,
    users,
    webhooks,
)
from chatpins.core.services.conversations import ConversationRef
from chatpins.core.services.messages import NewMessage
from chatpins.core.services.webhooks import DeliveryRules, Outcome, Wanted, WebhookSpec
from chatpins.delivery.webhooks import NATIVE_EVENT_TYPES
from chatpins.storage.tables import metadata


@dataclass
class Filled:
    """An app after many use cases: its id, its bot, and credentials to try afterwards."""

    app_id: str
    bot_id: str
    user_token: str
    tenant_token: str


async def _actor(deps: Deps, app_id: str, user_id: str, **kwargs: Any) -> Actor:
    app = await apps.get_app(deps, app_id)
    user = (await users.get_users(deps, app_id, [user_id]))[user_id]
    return Actor(app, user, "native", **kwargs)


async def _fill(deps: Deps, name: str) -> Filled:
    """Reach every table an app has rows in, through its use cases."""
    new = await apps.create_app(deps, name)
    app = new.app
    for user_id in ("alice", "bob"):
        await users.create_user(deps, app.id, user_id, user_id.title())
    alice = await _actor(deps, app.id, "alice")
    bob = await _actor(deps, app.id, "bob")
    platform = await _actor(deps, app.id, app.bot_user_id, is_platform=True)
    user_token = (await tokens.issue_user_token(deps, app.id, "alice", "feishu")).value
    tenant = await tokens.issue_app_token(deps, app.feishu_app_id, new.feishu_app_secret)

    await chats.create_chat(deps, alice, chats.NewChat(id="team", member_ids=["bob"]))
    for n in range(3):
        await messages.send_message(deps, alice, "team", NewMessage(f"m{n}", "text", f"hi {n}"))
    await pins.pin(deps, alice, "m0", pins.PinOptions(must_read=True))
    await pin_lists.ack(deps, bob, "team", "m0")
    await pins.pin(deps, alice, "m1")
    await pins.unpin(deps, alice, "m1")
    await pin_batches.run_batch(
        deps,
        alice,
        "team",
        [pin_batches.Operation("pin", "m2")],
        lambda outcome: {"version": outcome.version},
        idempotency=pin_batches.Idempotency("key-1", "hash-1"),
    )
    team = ConversationRef(ChatKind.GROUP, "team")
    await conversations.set_pinned(deps, alice, [team], True)
    await global_pins.pin_globally(deps, platform, "team")
    assert await replay.claim_nonce(deps, app.id, "nonce-1", 60_000)

    hook = await webhooks.register(
        deps, app.id, WebhookSpec("http://127.0.0.1:9/h", after=0), NATIVE_EVENT_TYPES
    )
    page = await outbox.events_after(deps, app.id, 0, 1000)
    wanted = [Wanted(e.seq, e.type, f"id-{e.seq}") for e in page if webhooks.wants(hook, e.type)]
    assert await webhooks.schedule(deps, hook, wanted, page[-1].seq)
    [delivery, *_] = await webhooks.claim(deps, hook, 1, 60_000)
    rules = DeliveryRules(retry_scale=0.0, pause_after=100)
    await webhooks.record_attempt(deps, hook, delivery, Outcome(500, "HTTP 500", 1), rules, 0.0)
    return Filled(app.id, app.bot_user_id, user_token, tenant.value)


async def _rows(deps: Deps, app_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of the app, per table of the schema (the schema's tables, not a list kept
    here: a new table is counted without this test changing)."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with deps.uow() as uow:
        conn = uow._conn  # type: ignore[attr-defined]
        for table in metadata.sorted_tables:
            if "app_id" in table.c:
                query = table.select().where(table.c.app_id == app_id)
            elif table.name == "apps":
                query = table.select().where(table.c.id == app_id)
            else:
                assert table.name == "server_settings", f"whose rows are in {table.name}?"
                continue
            found[table.name] = [dict(r._mapping) for r in await conn.execute(query)]
    return found


async def test_reset_leaves_only_the_app_its_bot_and_its_tokens(deps: Deps) -> None:
    target = await _fill(deps, "reset me")
    other = await _fill(deps, "leave me")
    before = await _rows(deps, target.app_id)
    others_before = await _rows(deps, other.app_id)
    assert [t for t, rows in before.items() if not rows] == []  # every table was reached

    outcome = await app_reset.reset_app(deps, target.app_id)

    after = await _rows(deps, target.app_id)
    assert after["apps"] == before["apps"]  # credentials, settings
    assert after["event_counters"] == before["event_counters"]  # the seq counter, unchanged
    assert [u["id"] for u in after["users"]] == [target.bot_id]
    assert after["tokens"] and {t["user_id"] for t in after["tokens"]} == {target.bot_id}
    whole = ("apps", "event_counters")
    left = {t: rows for t, rows in after.items() if rows and t not in (*whole, "users", "tokens")}
    assert left == {}
    kept = {"users": 1, "tokens": len(after["tokens"])}
    assert outcome.removed == {
        t: len(rows) - kept.get(t, 0) for t, rows in before.items() if t not in whole
    }
    assert await _rows(deps, other.app_id) == others_before


async def test_credentials_work_after_a_reset_and_users_tokens_do_not(deps: Deps) -> None:
    filled = await _fill(deps, "reset me")
    # Remembered by this process now: the reset must make it forget the user's token.
    assert (await tokens.authenticate(deps, filled.user_token, "feishu")).user.id == "alice"
    await app_reset.reset_app(deps, filled.app_id)

    with pytest.raises(Unauthenticated):
        await tokens.authenticate(deps, filled.user_token, "feishu")
    bot = await tokens.authenticate(deps, filled.tenant_token, "feishu")
    assert bot.user.id == filled.bot_id
    assert await users.get_users(deps, filled.app_id, ["alice"]) == {}


async def test_event_seq_keeps_growing_after_a_reset(deps: Deps) -> None:
    filled = await _fill(deps, "reset me")
    head = await outbox.head(deps, filled.app_id)
    await app_reset.reset_app(deps, filled.app_id)
    assert await outbox.events_after(deps, filled.app_id, 0, 10) == []

    await users.create_user(deps, filled.app_id, "carol", "Carol")
    carol = await _actor(deps, filled.app_id, "carol")
    await chats.create_chat(deps, carol, chats.NewChat(id="team"))
    [event] = await outbox.events_after(deps, filled.app_id, 0, 10)
    assert event.seq == head + 1


async def test_reset_forgets_the_apps_fault_rules_and_rate_windows(deps: Deps) -> None:
    target = (await apps.create_app(deps, "reset me")).app
    other = (await apps.create_app(deps, "leave me")).app
    for app_id in (target.id, other.id):
        deps.faults.add(app_id, "zim", "ConvPinned", Fault(code=1))
        assert await deps.limiter.hit(f"send:{app_id}:team", 1, 60.0) is None
        assert await deps.limiter.hit(f"send:{app_id}:team", 1, 60.0) is not None

    outcome = await app_reset.reset_app(deps, target.id)

    assert outcome.fault_rules == 1
    assert deps.faults.of_app(target.id) == []
    assert len(deps.faults.of_app(other.id)) == 1
    assert await deps.limiter.hit(f"send:{target.id}:team", 1, 60.0) is None
    assert await deps.limiter.hit(f"send:{other.id}:team", 1, 60.0) is not None


async def test_an_unknown_app_is_not_found(deps: Deps) -> None:
    with pytest.raises(NotFound):
        await app_reset.reset_app(deps, "app_missing")

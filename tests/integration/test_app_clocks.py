"""An app's moved clock in core, on each database: every rule about time in that app reads it
(pin expiry, the sweeper, tokens), other apps keep the real time, and a server without test
controls ignores a clock stored on an app."""

from __future__ import annotations

import dataclasses

import pytest

from chatpins.core.context import Actor, Deps
from chatpins.core.errors import PermissionDenied
from chatpins.core.services import app_clocks, apps, chats, expiry, messages, pins, tokens, users
from tests.integration.test_pin_expiry import START, MovableClock, _history


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def controlled(deps: Deps, clock: MovableClock) -> Deps:
    """Deps of a server with test controls on, on the test's system clock."""
    return dataclasses.replace(deps, clock=clock, app_clocks=True)


async def _app_with_expiring_pin(deps: Deps, expires_at: int) -> tuple[Actor, str]:
    new = await apps.create_app(deps, "clocked")
    app = await apps.configure_app(deps, new.app.id, {"message_rate_per_second": 0})
    bot_user = (await users.get_users(deps, app.id, [app.bot_user_id]))[app.bot_user_id]
    bot = Actor(app, bot_user, "feishu", requires_app_bot=True)
    chat = await chats.create_chat(deps, bot, chats.NewChat(id="oc_" + deps.ids.hex(32)))
    new_message = messages.NewMessage(id="om_" + deps.ids.hex(32), type="text", content="{}")
    message = await messages.send_message(deps, bot, chat.id, new_message)
    await pins.pin(deps, bot, message.id, pins.PinOptions(expires_at=expires_at))
    return bot, message.id


async def test_the_sweeper_reads_each_apps_own_clock(controlled: Deps, clock: MovableClock) -> None:
    frozen, _ = await _app_with_expiring_pin(controlled, START + 1_000)
    running, _ = await _app_with_expiring_pin(controlled, START + 1_000)
    await app_clocks.set_clock(controlled, frozen.app_id, app_clocks.ClockChange(frozen=True))

    clock.now = START + 5_000  # the real time passes both pins' expiry
    await expiry.sweep_expired(controlled)
    assert [a for _m, a, _w, _d in await _history(controlled, running.app_id)][-1] == "expired"
    assert "expired" not in [a for _m, a, _w, _d in await _history(controlled, frozen.app_id)]

    change = app_clocks.ClockChange(advance_ms=1_000)
    reading = await app_clocks.set_clock(controlled, frozen.app_id, change)
    assert (reading.now_ms, reading.frozen) == (START + 1_000, True)
    await expiry.sweep_expired(controlled)
    assert [a for _m, a, _w, _d in await _history(controlled, frozen.app_id)][-1] == "expired"


async def test_a_token_expires_on_its_apps_clock(controlled: Deps) -> None:
    new = await apps.create_app(controlled, "tokens")
    await users.create_user(controlled, new.app.id, "alice", "Alice")
    issued = await tokens.issue_user_token(controlled, new.app.id, "alice", "feishu", 60)
    assert issued.expires_at == START + 60_000
    await tokens.authenticate(controlled, issued.value, "feishu")
    await app_clocks.set_clock(controlled, new.app.id, app_clocks.ClockChange(offset_ms=60_000))
    with pytest.raises(Exception, match="expired_token"):
        await tokens.authenticate(controlled, issued.value, "feishu")


async def test_without_test_controls_a_stored_clock_is_ignored_and_none_moves(
    controlled: Deps, clock: MovableClock
) -> None:
    bot, _ = await _app_with_expiring_pin(controlled, START + 1_000)
    await app_clocks.set_clock(controlled, bot.app_id, app_clocks.ClockChange(offset_ms=10_000))
    production = dataclasses.replace(controlled, app_clocks=False)
    app = await apps.get_app(production, bot.app_id)
    assert production.now(app) == START and controlled.now(app) == START + 10_000
    with pytest.raises(PermissionDenied):
        await app_clocks.set_clock(production, bot.app_id, app_clocks.ClockChange(offset_ms=0))
    with pytest.raises(PermissionDenied):
        await app_clocks.read_clock(production, bot.app_id)

"""Pin expiry in core, on each database: a pin whose time is up is gone for every read and
cap at once, and the sweeper writes its history row and event exactly once."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
import sqlalchemy as sa

from chatpins.app import build_deps
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Overflow
from chatpins.core.errors import InvalidArgument
from chatpins.core.services import apps, chats, expiry, messages, pins
from chatpins.storage.database import Database
from chatpins.storage.tables import events, pin_history

START = 1_900_000_000_000


class MovableClock:
    """Time as the test says: pins expire without the test sleeping."""

    def __init__(self, now_ms: int) -> None:
        self.now = now_ms

    def now_ms(self) -> int:
        return self.now


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
async def timed(deps: Deps, bot: Actor, clock: MovableClock) -> tuple[Deps, Actor]:
    app = await apps.configure_app(deps, bot.app_id, {"message_rate_per_second": 0})
    return dataclasses.replace(deps, clock=clock), Actor(
        app, bot.user, bot.dialect, bot.requires_app_bot
    )


async def _chat_with_messages(deps: Deps, bot: Actor, count: int, **rules) -> tuple[str, list]:  # type: ignore[no-untyped-def,type-arg]
    chat = await chats.create_chat(deps, bot, chats.NewChat(id="oc_" + deps.ids.hex(32), **rules))
    ids = []
    for _ in range(count):
        new = messages.NewMessage(id="om_" + deps.ids.hex(32), type="text", content='{"text":"x"}')
        ids.append((await messages.send_message(deps, bot, chat.id, new)).id)
    return chat.id, ids


async def _history(deps: Deps, app_id: str) -> list[tuple[str, str, str | None, str]]:
    async with deps.uow() as uow:
        rows = await uow._conn.execute(  # type: ignore[attr-defined]
            sa.select(
                pin_history.c.message_id,
                pin_history.c.action,
                pin_history.c.actor_id,
                pin_history.c.dialect,
            )
            .where(pin_history.c.app_id == app_id)
            .order_by(pin_history.c.id)
        )
        return [tuple(r) for r in rows]


async def _deleted_events(deps: Deps, app_id: str) -> list[dict]:  # type: ignore[type-arg]
    async with deps.uow() as uow:
        rows = await uow._conn.execute(  # type: ignore[attr-defined]
            sa.select(events.c.payload)
            .where(events.c.app_id == app_id, events.c.type == "pin.deleted")
            .order_by(events.c.seq)
        )
        return [r[0] for r in rows]


async def test_an_expired_pin_is_gone_for_lists_and_caps_before_any_sweep(
    timed: tuple[Deps, Actor], clock: MovableClock
) -> None:
    deps, bot = timed
    chat_id, (first, second) = await _chat_with_messages(
        deps, bot, 2, max_pins=1, overflow=Overflow.REJECT
    )
    await pins.pin(deps, bot, first, pins.PinOptions(expires_at=START + 1000))
    assert [p.message_id for p in (await pins.list_pins(deps, bot, chat_id)).pins] == [first]
    clock.now = START + 1000  # the expiry instant itself is past it
    assert (await pins.list_pins(deps, bot, chat_id)).pins == []
    await pins.pin_message(deps, bot, second)  # the cap of one no longer counts it
    assert [p.message_id for p in (await pins.list_pins(deps, bot, chat_id)).pins] == [second]


async def test_an_expired_pin_may_be_pinned_again_and_history_says_expired_first(
    timed: tuple[Deps, Actor], clock: MovableClock
) -> None:
    deps, bot = timed
    chat_id, (message_id,) = await _chat_with_messages(deps, bot, 1)
    await pins.pin(deps, bot, message_id, pins.PinOptions(expires_at=START + 10))
    clock.now = START + 20
    again = await pins.pin_message(deps, bot, message_id)
    assert again.expires_at is None and again.pinned_at == START + 20
    assert [(m, a, who) for m, a, who, _d in await _history(deps, bot.app_id)] == [
        (message_id, "added", bot.user.id),
        (message_id, "expired", None),
        (message_id, "added", bot.user.id),
    ]


async def test_an_expiry_not_in_the_future_is_refused(timed: tuple[Deps, Actor]) -> None:
    deps, bot = timed
    chat_id, (message_id,) = await _chat_with_messages(deps, bot, 1)
    with pytest.raises(InvalidArgument) as caught:
        await pins.pin(deps, bot, message_id, pins.PinOptions(expires_at=START))
    assert caught.value.reason == "invalid_expiry"
    assert (await pins.list_pins(deps, bot, chat_id)).pins == []


async def test_the_sweeper_writes_history_and_event_once(
    timed: tuple[Deps, Actor], clock: MovableClock
) -> None:
    deps, bot = timed
    chat_id, ids = await _chat_with_messages(deps, bot, 3)
    for offset, message_id in enumerate(ids):
        await pins.pin(deps, bot, message_id, pins.PinOptions(expires_at=START + 100 + offset))
    clock.now = START + 101  # two of three are due
    assert await expiry.sweep_expired(deps) == 2
    assert await expiry.sweep_expired(deps) == 0
    expired = [(m, d) for m, a, _w, d in await _history(deps, bot.app_id) if a == "expired"]
    assert expired == [(ids[0], "system"), (ids[1], "system")]
    deleted = await _deleted_events(deps, bot.app_id)
    assert [(e["message_id"], e["action"], e["actor"]) for e in deleted] == [
        (ids[0], "expired", None),
        (ids[1], "expired", None),
    ]
    assert [p.message_id for p in (await pins.list_pins(deps, bot, chat_id)).pins] == [ids[2]]


async def test_sweepers_of_several_instances_expire_each_pin_once(
    timed: tuple[Deps, Actor], clock: MovableClock, database_url: str
) -> None:
    """Four processes' worth of sweepers, each on its own connection pool, race over pins
    spread across chats that all fell due while no process was running."""
    deps, bot = timed
    pinned = []
    for _ in range(4):
        _chat_id, ids = await _chat_with_messages(deps, bot, 5)
        for message_id in ids:
            await pins.pin(deps, bot, message_id, pins.PinOptions(expires_at=START + 50))
        pinned += ids
    clock.now = START + 60
    databases = [Database(database_url) for _ in range(4)]
    try:
        instances = [dataclasses.replace(build_deps(db), clock=clock) for db in databases]
        counts = await asyncio.gather(*(expiry.sweep_expired(d) for d in instances))
    finally:
        for db in databases:
            await db.dispose()
    assert sum(counts) == len(pinned)
    expired = [m for m, a, _w, _d in await _history(deps, bot.app_id) if a == "expired"]
    assert sorted(expired) == sorted(pinned)
    assert len(await _deleted_events(deps, bot.app_id)) == len(pinned)

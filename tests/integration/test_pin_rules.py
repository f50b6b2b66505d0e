"""The pin algorithm in core, on each database."""

from __future__ import annotations

import asyncio

import pytest

from chatpins.core.context import Actor, Deps
from chatpins.core.entities import ChatLimits, Overflow
from chatpins.core.errors import Gone, LimitExceeded, RateLimited, Unsupported
from chatpins.core.services import chats, messages, pins
from chatpins.storage.tables import events, pin_history
from tests.integration.conftest import as_user


async def _chat(deps: Deps, bot: Actor, **rules) -> str:  # type: ignore[no-untyped-def]
    chat = await chats.create_chat(deps, bot, chats.NewChat(id="oc_" + deps.ids.hex(32), **rules))
    return chat.id


async def _message(deps: Deps, actor: Actor, chat_id: str) -> str:
    new = messages.NewMessage(id="om_" + deps.ids.hex(32), type="text", content='{"text":"x"}')
    return (await messages.send_message(deps, actor, chat_id, new)).id


async def _no_send_limit(deps: Deps, bot: Actor) -> Actor:
    from chatpins.core.services import apps

    app = await apps.configure_app(deps, bot.app_id, {"message_rate_per_second": 0})
    return Actor(app, bot.user, bot.dialect, bot.requires_app_bot)


async def test_one_pin_chat_replaces_and_records_history(deps: Deps, bot: Actor) -> None:
    bot = await _no_send_limit(deps, bot)
    chat_id = await _chat(deps, bot, max_pins=1, overflow=Overflow.EVICT_OLDEST)
    first, second = [await _message(deps, bot, chat_id) for _ in range(2)]
    await pins.pin_message(deps, bot, first)
    await pins.pin_message(deps, bot, second)
    page = await pins.list_pins(deps, bot, chat_id)
    assert [p.message_id for p in page.pins] == [second]
    async with deps.uow() as uow:
        rows = (
            await uow._conn.execute(  # type: ignore[attr-defined]
                pin_history.select()
                .where(pin_history.c.app_id == bot.app_id)
                .order_by(pin_history.c.id)
            )
        ).all()
    assert [(r.message_id, r.action, r.version) for r in rows] == [
        (first, "added", 1),
        (first, "replaced", 2),
        (second, "added", 3),
    ]


async def test_full_chat_rejects_when_overflow_is_reject(deps: Deps, bot: Actor) -> None:
    bot = await _no_send_limit(deps, bot)
    chat_id = await _chat(deps, bot, max_pins=2, overflow=Overflow.REJECT)
    ids = [await _message(deps, bot, chat_id) for _ in range(3)]
    await pins.pin_message(deps, bot, ids[0])
    await pins.pin_message(deps, bot, ids[1])
    with pytest.raises(LimitExceeded):
        await pins.pin_message(deps, bot, ids[2])
    assert len((await pins.list_pins(deps, bot, chat_id)).pins) == 2


async def test_concurrent_one_pin_chat_keeps_exactly_one(deps: Deps, bot: Actor) -> None:
    bot = await _no_send_limit(deps, bot)
    chat_id = await _chat(deps, bot, max_pins=1, overflow=Overflow.EVICT_OLDEST)
    ids = [await _message(deps, bot, chat_id) for _ in range(20)]
    await asyncio.gather(*(pins.pin_message(deps, bot, m) for m in ids))
    page = await pins.list_pins(deps, bot, chat_id)
    assert len(page.pins) == 1


async def test_recall_racing_pin_never_leaves_recalled_message_pinned(
    deps: Deps, bot: Actor
) -> None:
    bot = await _no_send_limit(deps, bot)
    chat_id = await _chat(deps, bot)
    for _ in range(10):
        message_id = await _message(deps, bot, chat_id)
        await asyncio.gather(
            pins.pin_message(deps, bot, message_id),
            messages.recall_message(deps, bot, message_id),
            return_exceptions=True,
        )
        async with deps.uow() as uow:
            assert await uow.pins.get_by_message(bot.app_id, message_id) is None


async def test_pin_after_dissolve_is_refused(deps: Deps, bot: Actor) -> None:
    bot = await _no_send_limit(deps, bot)
    chat_id = await _chat(deps, bot)
    message_id = await _message(deps, bot, chat_id)
    await chats.dissolve_chat(deps, bot, chat_id)
    with pytest.raises(Gone):
        await pins.pin_message(deps, bot, message_id)


async def test_sixth_pin_operation_within_a_second_is_rate_limited(deps: Deps, bot: Actor) -> None:
    chat_id = await _chat(deps, bot)
    message_id = await _message(deps, bot, chat_id)
    for _ in range(5):
        await pins.pin_message(deps, bot, message_id)
    with pytest.raises(RateLimited):
        await pins.unpin_message(deps, bot, message_id)


async def test_event_seq_grows_by_one_per_change_under_concurrency(deps: Deps, bot: Actor) -> None:
    bot = await _no_send_limit(deps, bot)
    alice = await as_user(deps, bot, "alice")
    chat_id = await _chat(deps, bot, member_ids=["alice"])
    ids = await asyncio.gather(*(_message(deps, a, chat_id) for a in [bot, alice] * 5))
    await asyncio.gather(*(pins.pin_message(deps, bot, m) for m in ids))
    async with deps.uow() as uow:
        seqs = (
            await uow._conn.execute(  # type: ignore[attr-defined]
                events.select().where(events.c.app_id == bot.app_id).order_by(events.c.seq)
            )
        ).all()
    # chat.created + 10 messages + 10 pins, numbered 1..21 without a gap.
    assert [r.seq for r in seqs] == list(range(1, 22))
    assert sum(r.type == "pin.created" for r in seqs) == 10


async def test_a_chat_carries_the_limits_of_the_dialect_that_created_it(
    deps: Deps, bot: Actor
) -> None:
    """Feishu's limits (10 admins, 5 pin operations per second per message, types it cannot
    pin) are data on the chats Feishu creates; a chat another dialect creates has none, so the
    same pins pass there, whichever dialect pins."""
    bot = await _no_send_limit(deps, bot)
    imkit = Actor(bot.app, bot.user, "imkit", is_platform=True)
    feishu_chat = await chats.create_chat(deps, bot, chats.NewChat(id="oc_" + deps.ids.hex(32)))
    imkit_chat = await chats.create_chat(deps, imkit, chats.NewChat(id="room-" + deps.ids.hex(8)))
    assert feishu_chat.limits == ChatLimits(10, 5, ["system", "hongbao", "video_chat"])
    assert imkit_chat.limits == ChatLimits()

    async def red_packet(chat_id: str) -> str:
        new = messages.NewMessage(id="om_" + deps.ids.hex(32), type="hongbao", content="{}")
        return (await messages.send_message(deps, bot, chat_id, new)).id

    with pytest.raises(Unsupported):
        await pins.pin_message(deps, bot, await red_packet(feishu_chat.id))
    busy = await red_packet(imkit_chat.id)
    for _ in range(8):  # more pin operations on one message than Feishu allows in a second
        await pins.pin_message(deps, bot, busy)
    await pins.unpin_message(deps, bot, busy)
    # (Feishu's chats refusing the sixth: test_sixth_pin_operation_within_a_second_is_rate_limited)

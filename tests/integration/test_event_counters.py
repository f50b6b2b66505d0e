"""Each app's event ``seq`` comes from its row of ``event_counters``, on each database: changes
racing only on that row (each in a chat of its own) get one seq each, with no gap, per app; a
rolled-back change takes its seq back."""

from __future__ import annotations

import asyncio

import pytest

from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Event
from chatpins.core.services import apps, chats, outbox, users

CHATS = 12


async def _bot(deps: Deps, name: str) -> Actor:
    new = await apps.create_app(deps, name)
    bot = (await users.get_users(deps, new.app.id, [new.app.bot_user_id]))[new.app.bot_user_id]
    return Actor(new.app, bot, "native", is_platform=True)


async def _seqs(deps: Deps, app_id: str) -> list[int]:
    return [e.seq for e in await outbox.events_after(deps, app_id, 0, 100)]


async def test_a_new_app_starts_at_seq_one(deps: Deps) -> None:
    bot = await _bot(deps, "fresh")
    assert await outbox.head(deps, bot.app_id) == 0
    await chats.create_chat(deps, bot, chats.NewChat(id="first"))
    assert await _seqs(deps, bot.app_id) == [1]
    assert await outbox.head(deps, bot.app_id) == 1


async def test_concurrent_changes_of_two_apps_number_each_apps_events_without_gaps(
    deps: Deps,
) -> None:
    """Chats of their own, so the changes share no chat lock: only the counter orders them."""
    one, two = await _bot(deps, "one"), await _bot(deps, "two")
    await asyncio.gather(
        *(
            chats.create_chat(deps, bot, chats.NewChat(id=f"c{n}"))
            for n in range(CHATS)
            for bot in (one, two)
        )
    )
    for bot in (one, two):
        assert await _seqs(deps, bot.app_id) == list(range(1, CHATS + 1))
        assert await outbox.head(deps, bot.app_id) == CHATS


async def test_a_rolled_back_change_takes_its_seq_back(deps: Deps) -> None:
    bot = await _bot(deps, "rollback")
    await chats.create_chat(deps, bot, chats.NewChat(id="kept"))
    with pytest.raises(RuntimeError):
        async with deps.uow(write=True) as uow:
            assert await uow.events.append(bot.app_id, Event("test.undone", {}), 0) == 2
            raise RuntimeError("the change fails after its event was written")
    assert await outbox.head(deps, bot.app_id) == 1

    await chats.create_chat(deps, bot, chats.NewChat(id="next"))
    assert await _seqs(deps, bot.app_id) == [1, 2]

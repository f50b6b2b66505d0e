"""Pin positions apart from pin times, eviction by either, and the per-right pin policy, in
core on each database."""

from __future__ import annotations

import pytest

from chatpins.core import ranks
from chatpins.core.context import Actor, Deps
from chatpins.core.entities import Overflow, Pin, PinRights, Role
from chatpins.core.errors import InvalidArgument, PermissionDenied
from chatpins.core.services import apps, chats, messages, pins
from tests.integration.conftest import as_user


async def _no_limits(deps: Deps, bot: Actor) -> Actor:
    app = await apps.configure_app(deps, bot.app_id, {"message_rate_per_second": 0})
    return Actor(app, bot.user, bot.dialect, bot.requires_app_bot)


async def _chat(deps: Deps, bot: Actor, **rules) -> str:  # type: ignore[no-untyped-def]
    spec = chats.NewChat(id="oc_" + deps.ids.hex(32), **rules)
    return (await chats.create_chat(deps, bot, spec)).id


async def _messages(deps: Deps, actor: Actor, chat_id: str, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        new = messages.NewMessage(id="om_" + deps.ids.hex(32), type="text", content='{"text":"x"}')
        ids.append((await messages.send_message(deps, actor, chat_id, new)).id)
    return ids


async def _in_order(deps: Deps, bot: Actor, chat_id: str) -> list[Pin]:
    async with deps.uow() as uow:
        return await uow.pins.by_position(bot.app_id, chat_id, now=None)


async def test_a_new_pin_goes_to_the_top_and_a_position_puts_it_there(
    deps: Deps, bot: Actor
) -> None:
    bot = await _no_limits(deps, bot)
    chat_id = await _chat(deps, bot)
    a, b, c, d, e = await _messages(deps, bot, chat_id, 5)
    for message_id in (a, b, c):
        await pins.pin_message(deps, bot, message_id)
    before = {p.message_id: p.rank for p in await _in_order(deps, bot, chat_id)}
    await pins.pin(deps, bot, d, pins.PinOptions(position=1))
    await pins.pin(deps, bot, e, pins.PinOptions(position=99))  # past the end: the end
    after = await _in_order(deps, bot, chat_id)
    assert [p.message_id for p in after] == [c, d, b, a, e]
    # An insert writes its own row only: the others keep their keys.
    assert {p.message_id: p.rank for p in after if p.message_id in before} == before


async def test_a_negative_position_is_refused(deps: Deps, bot: Actor) -> None:
    chat_id = await _chat(deps, bot)
    (message_id,) = await _messages(deps, bot, chat_id, 1)
    with pytest.raises(InvalidArgument) as caught:
        await pins.pin(deps, bot, message_id, pins.PinOptions(position=-1))
    assert caught.value.reason == "invalid_position"
    assert await _in_order(deps, bot, chat_id) == []


@pytest.mark.parametrize(
    ("overflow", "evicted"), [(Overflow.EVICT_OLDEST, "first"), (Overflow.EVICT_LAST, "last")]
)
async def test_eviction_follows_time_or_position_as_the_chat_says(
    deps: Deps, bot: Actor, overflow: Overflow, evicted: str
) -> None:
    """Pinned in the order a, b, c at positions 0, 1, 2: a is the oldest and the top, c the
    newest and the last, so the two policies evict different pins."""
    bot = await _no_limits(deps, bot)
    chat_id = await _chat(deps, bot, max_pins=3, overflow=overflow)
    a, b, c, d = await _messages(deps, bot, chat_id, 4)
    for position, message_id in enumerate((a, b, c)):
        await pins.pin(deps, bot, message_id, pins.PinOptions(position=position))
    await pins.pin_message(deps, bot, d)
    left = [p.message_id for p in await _in_order(deps, bot, chat_id)]
    assert left == ([d, b, c] if evicted == "first" else [d, a, b])


async def test_long_keys_are_spread_out_keeping_the_order(
    deps: Deps, bot: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ranks, "MAX_KEY_LENGTH", 3)
    bot = await _no_limits(deps, bot)
    chat_id = await _chat(deps, bot)
    ids = await _messages(deps, bot, chat_id, 12)
    await pins.pin_message(deps, bot, ids[0])
    await pins.pin_message(deps, bot, ids[1])
    for message_id in ids[2:]:  # always into the same gap, below the top
        await pins.pin(deps, bot, message_id, pins.PinOptions(position=1))
    in_order = await _in_order(deps, bot, chat_id)
    assert [p.message_id for p in in_order] == [ids[1], *reversed(ids[2:]), ids[0]]
    assert all(len(p.rank) <= 3 for p in in_order)
    assert len({p.rank for p in in_order}) == len(in_order)


async def test_unpinning_anothers_pin_needs_unpin_any(deps: Deps, bot: Actor) -> None:
    bot = await _no_limits(deps, bot)
    alice, bob = await as_user(deps, bot, "alice"), await as_user(deps, bot, "bob")
    rights = PinRights(unpin_any=Role.ADMIN)
    chat_id = await _chat(deps, bot, member_ids=["alice", "bob"], pin_rights=rights)
    mine, theirs = await _messages(deps, bot, chat_id, 2)
    await pins.pin_message(deps, alice, mine)
    await pins.pin_message(deps, bob, theirs)
    with pytest.raises(PermissionDenied) as caught:
        await pins.unpin_message(deps, alice, theirs)
    assert caught.value.reason == "may_not_unpin"
    await pins.unpin_message(deps, alice, mine)  # her own: unpin_own, members may
    assert [p.message_id for p in await _in_order(deps, bot, chat_id)] == [theirs]


async def test_unpin_own_above_member_keeps_members_from_their_own_pins(
    deps: Deps, bot: Actor
) -> None:
    bot = await _no_limits(deps, bot)
    alice = await as_user(deps, bot, "alice")
    rights = PinRights(unpin_own=Role.ADMIN, unpin_any=Role.ADMIN)
    chat_id = await _chat(deps, bot, member_ids=["alice"], pin_rights=rights)
    (message_id,) = await _messages(deps, bot, chat_id, 1)
    await pins.pin_message(deps, alice, message_id)
    with pytest.raises(PermissionDenied):
        await pins.unpin_message(deps, alice, message_id)
    assert [p.message_id for p in await _in_order(deps, bot, chat_id)] == [message_id]

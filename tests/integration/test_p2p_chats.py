"""A pair of users has one one-on-one chat, however many first contacts race."""

from __future__ import annotations

import asyncio

from chatpins.core.context import Actor, Deps
from chatpins.core.entities import ChatKind
from chatpins.core.errors import Conflict
from chatpins.core.services import chats, conversations
from chatpins.storage.tables import chats as chats_table
from tests.integration.conftest import as_user


async def test_racing_first_contacts_from_both_sides_meet_in_one_chat(
    deps: Deps, bot: Actor
) -> None:
    alice = await as_user(deps, bot, "alice")
    bob = await as_user(deps, bot, "bob")
    found = await asyncio.gather(
        *(chats.get_or_create_p2p(deps, a, p) for a, p in [(alice, "bob"), (bob, "alice")] * 8)
    )
    assert len({c.id for c in found}) == 1
    async with deps.uow() as uow:
        rows = (
            await uow._conn.execute(  # type: ignore[attr-defined]
                chats_table.select().where(
                    chats_table.c.app_id == bot.app_id, chats_table.c.kind == "p2p"
                )
            )
        ).all()
    assert len(rows) == 1


async def test_conversation_pin_and_first_message_share_the_chat(deps: Deps, bot: Actor) -> None:
    alice = await as_user(deps, bot, "alice")
    await as_user(deps, bot, "bob")
    ref = conversations.ConversationRef(ChatKind.P2P, "bob")
    pinned, sent_to = await asyncio.gather(
        conversations.set_pinned(deps, alice, [ref], True),
        chats.get_or_create_p2p(deps, alice, "bob"),
        return_exceptions=True,
    )
    listed = await conversations.list_pinned(deps, alice)
    assert not isinstance(sent_to, BaseException)
    # Whichever won the race there is one chat, and a pin is on that chat. (A pin that lost a
    # key race on PostgreSQL fails whole, as a conflict, and changes nothing.)
    if isinstance(pinned, BaseException):
        assert isinstance(pinned, Conflict)
        assert listed == []
    else:
        assert [p.chat_id for p in listed] == [sent_to.id]
    assert (await chats.get_or_create_p2p(deps, alice, "bob")).id == sent_to.id

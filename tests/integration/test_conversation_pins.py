"""Conversation pins in core, on each database: the per-user ordered list, its cap, its events."""

from __future__ import annotations

import asyncio

from chatpins.core.context import Actor, Deps
from chatpins.core.entities import ChatKind
from chatpins.core.errors import LimitExceeded, NotFound, PermissionDenied
from chatpins.core.services import chats, conversations
from chatpins.core.services.conversations import ConversationRef
from chatpins.storage.tables import events
from tests.integration.conftest import as_user


def _peer(user_id: str) -> ConversationRef:
    return ConversationRef(ChatKind.P2P, user_id)


async def _events(deps: Deps, app_id: str) -> list:  # type: ignore[type-arg]
    async with deps.uow() as uow:
        query = (
            events.select()
            .where(events.c.app_id == app_id, events.c.type == "conversation.changed")
            .order_by(events.c.seq)
        )
        return (await uow._conn.execute(query)).all()  # type: ignore[attr-defined]


async def test_pins_append_in_order_and_write_one_event_per_change(deps: Deps, bot: Actor) -> None:
    alice = await as_user(deps, bot, "alice")
    for name in ("bob", "carol"):
        await as_user(deps, bot, name)
    group = await chats.create_chat(deps, alice, chats.NewChat(id="team", member_ids=["bob"]))
    refs = [_peer("bob"), ConversationRef(ChatKind.GROUP, group.id), _peer("carol"), _peer("bob")]
    outcomes = await conversations.set_pinned(deps, alice, refs, True)
    assert [o.error for o in outcomes] == [None, None, None]
    pinned = await conversations.list_pinned(deps, alice)
    assert [p.chat_id for p in pinned][1] == "team"
    assert [p.rank for p in pinned] == sorted({p.rank for p in pinned})  # appended in order

    rows = await _events(deps, alice.app_id)
    assert len(rows) == 3
    assert {r.audience for r in rows} == {"user:alice"}
    last = rows[-1].payload
    assert last["change"] == "updated"
    assert last["conversation"]["conversation_id"] == "carol"
    assert last["conversation"]["is_pinned"] is True
    assert last["conversation"]["pinned_at"] > 0
    assert last["pinned_order"] == [p.chat_id for p in pinned]

    # Re-pinning is a no-op: no event, same pin time.
    await conversations.set_pinned(deps, alice, [_peer("bob")], True)
    assert len(await _events(deps, alice.app_id)) == 3
    assert (await conversations.list_pinned(deps, alice))[0].pinned_at == pinned[0].pinned_at

    await conversations.set_pinned(deps, alice, [ConversationRef(ChatKind.GROUP, "team")], False)
    rows = await _events(deps, alice.app_id)
    assert len(rows) == 4
    assert rows[-1].payload["conversation"]["is_pinned"] is False
    assert rows[-1].payload["conversation"]["pinned_at"] == 0
    assert len(rows[-1].payload["pinned_order"]) == 2


async def test_item_failures_are_core_errors_with_reasons(deps: Deps, bot: Actor) -> None:
    alice = await as_user(deps, bot, "alice")
    dave = await as_user(deps, bot, "dave")
    await chats.create_chat(deps, dave, chats.NewChat(id="closed"))
    refs = [
        _peer("ghost"),
        ConversationRef(ChatKind.GROUP, "missing"),
        ConversationRef(ChatKind.GROUP, "closed"),
    ]
    outcomes = await conversations.set_pinned(deps, alice, refs, True)
    assert [type(o.error) for o in outcomes] == [NotFound, NotFound, PermissionDenied]
    assert [o.error.reason for o in outcomes if o.error] == [
        "peer_not_registered",
        "group_not_found",
        "not_group_member",
    ]
    assert await _events(deps, alice.app_id) == []


async def test_parallel_batches_never_pass_the_cap(deps: Deps, bot: Actor) -> None:
    alice = await as_user(deps, bot, "alice")
    peers = [f"p{i:03d}" for i in range(140)]
    for peer in peers:
        await as_user(deps, bot, peer)
    batches = [[_peer(p) for p in peers[i : i + 20]] for i in range(0, 140, 20)]
    results = await asyncio.gather(
        *(conversations.set_pinned(deps, alice, b, True) for b in batches)
    )
    errors = [o.error for r in results for o in r if o.error is not None]
    assert len(errors) == 40
    assert all(isinstance(e, LimitExceeded) for e in errors)
    assert len(await conversations.list_pinned(deps, alice)) == 100
    ranks = [p.rank for p in await conversations.list_pinned(deps, alice)]
    assert ranks == sorted(set(ranks))


async def test_conversation_list_orders(deps: Deps, bot: Actor) -> None:
    alice = await as_user(deps, bot, "alice")
    for name in ("bob", "carol", "dave"):
        await as_user(deps, bot, name)
    await conversations.set_pinned(deps, alice, [_peer("bob"), _peer("carol")], True)
    await asyncio.sleep(0.01)
    await conversations.set_pinned(deps, alice, [_peer("dave")], True)
    await conversations.set_pinned(deps, alice, [_peer("carol")], False)
    page = await conversations.list_conversations(deps, alice, offset=0, limit=10)
    assert [c.ref.id for c in page.items][-1] == "dave"
    assert page.total == 3 and page.next_offset is None
    first = await conversations.list_conversations(
        deps, alice, offset=0, limit=2, pinned_first=True
    )
    assert [c.ref.id for c in first.items] == ["dave", "bob"]
    assert first.next_offset == 2
    rest = await conversations.list_conversations(deps, alice, offset=2, limit=2, pinned_first=True)
    assert [(c.ref.id, c.pin) for c in rest.items] == [("carol", None)]


async def test_a_refused_pin_starts_no_conversation(deps: Deps, bot: Actor) -> None:
    alice = await as_user(deps, bot, "alice")
    peers = [f"p{i:03d}" for i in range(101)]
    for peer in peers:
        await as_user(deps, bot, peer)
    for start in range(0, 100, 20):
        await conversations.set_pinned(
            deps, alice, [_peer(p) for p in peers[start : start + 20]], True
        )
    [outcome] = await conversations.set_pinned(deps, alice, [_peer(peers[100])], True)
    assert isinstance(outcome.error, LimitExceeded)
    page = await conversations.list_conversations(deps, alice, offset=0, limit=500)
    assert page.total == 100

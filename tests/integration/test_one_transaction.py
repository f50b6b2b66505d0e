"""A use case is one transaction: when its last step fails, nothing it did before is kept.

Each test makes the last step of a use case fail inside its unit of work (the outbox write that
ends it, or an update the policy refuses after members were added), then reads the state back
through a fresh unit of work and finds it as it was: no chat, no member, no event, no message
change, no pin change, no conversation pin.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from chatpins.core.context import Actor, Deps
from chatpins.core.entities import (
    Chat,
    ChatKind,
    ConversationPin,
    Event,
    Message,
    Overflow,
    Permission,
    Pin,
    PinRights,
    Role,
)
from chatpins.core.errors import NotFound, PermissionDenied, RateLimited
from chatpins.core.events import EventType
from chatpins.core.services import (
    chat_upsert,
    chats,
    conversations,
    direct_messages,
    global_pins,
    messages,
    pinned_conversations,
    pins,
    users,
)
from chatpins.core.services.conversations import ConversationRef
from chatpins.storage.repositories import EventRepository
from chatpins.storage.tables import pin_history
from tests.integration.conftest import as_user


class Injected(Exception):
    """The failure a test makes happen inside a use case's unit of work."""


def fail_event(monkeypatch: pytest.MonkeyPatch, event_type: str, *, nth: int = 1) -> None:
    """Make the ``nth`` outbox write of ``event_type`` raise: the events are each use case's
    last writes, so everything else it does has been done when this fails."""
    real = EventRepository.append
    seen = 0

    async def append(self: EventRepository, app_id: str, event: Event, at: int) -> int:
        nonlocal seen
        if event.type == event_type:
            seen += 1
            if seen == nth:
                raise Injected(event_type)
        return await real(self, app_id, event, at)

    monkeypatch.setattr(EventRepository, "append", append)


@dataclass
class State:
    """What the use cases here may change, read in one fresh unit of work."""

    chat: Chat | None
    members: list[tuple[str, Role]]
    events: int  # the app's newest event seq
    history: int  # pin history rows of the chat
    message: Message | None = None
    pin: Pin | None = None
    conversation_pins: list[ConversationPin] | None = None
    p2p: Chat | None = None


async def read_state(
    deps: Deps,
    app_id: str,
    chat_id: str,
    *,
    message_id: str | None = None,
    pins_of: str | None = None,
    peer: str | None = None,
) -> State:
    async with deps.uow() as uow:
        count = sa.select(sa.func.count()).where(
            pin_history.c.app_id == app_id, pin_history.c.chat_id == chat_id
        )
        history = (await uow._conn.execute(count)).scalar_one()  # type: ignore[attr-defined]
        state = State(
            chat=await uow.chats.get(app_id, chat_id),
            members=sorted((m.user_id, m.role) for m in await uow.members.list(app_id, chat_id)),
            events=await uow.events.head(app_id),
            history=history,
        )
        if message_id is not None:
            state.message = await uow.messages.get(app_id, message_id)
            state.pin = await uow.pins.get_by_message(app_id, message_id)
        if pins_of is not None:
            state.conversation_pins = await uow.conversation_pins.list_for_user(app_id, pins_of, 0)
            if peer is not None:
                state.p2p = await uow.chats.find_p2p(app_id, pins_of, peer)
    return state


async def imkit_user(deps: Deps, bot: Actor, user_id: str) -> Actor:
    user = (await users.upsert_user(deps, bot.app_id, user_id, name=user_id.title())).user
    return Actor(bot.app, user, "imkit")


def platform(bot: Actor) -> Actor:
    """IMKit's platform API key: the app's bot, acting in every room."""
    return Actor(bot.app, bot.user, "imkit", is_platform=True)


def room_spec(
    room_id: str, owner: str | None, member_ids: list[str], **fields: Any
) -> chats.NewChat:
    """A group room as IMKit's ``POST /rooms`` describes it."""
    return chats.NewChat(
        id=room_id,
        owner_id=owner,
        ownerless=owner is None,
        creator_joins=False,
        member_ids=member_ids,
        pin_rights=PinRights.every(Role.ADMIN),
        edit_permission=Permission.OWNER_ADMINS,
        add_member_permission=Permission.MEMBERS,
        max_pins=1,
        overflow=Overflow.EVICT_OLDEST,
        **fields,
    )


async def test_room_upsert_that_fails_creating_leaves_no_room_no_member_no_event(
    deps: Deps, bot: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    for user_id in ("owner", "a"):
        await imkit_user(deps, bot, user_id)
    before = await read_state(deps, bot.app_id, "fresh")
    assert before.chat is None and before.members == []
    fail_event(monkeypatch, "chat.created")

    spec = room_spec("fresh", "owner", ["owner", "a"], name="Fresh")
    with pytest.raises(Injected):
        await chat_upsert.upsert_chat(deps, platform(bot), spec, chats.ChatChanges(name="Fresh"))

    assert await read_state(deps, bot.app_id, "fresh") == before


@pytest.mark.parametrize("last_step", ["refused_update", "update_event_fails"])
async def test_room_upsert_that_fails_updating_keeps_members_and_room_as_they_were(
    deps: Deps, bot: Actor, monkeypatch: pytest.MonkeyPatch, last_step: str
) -> None:
    member = await imkit_user(deps, bot, "member")
    for user_id in ("owner", "newcomer"):
        await imkit_user(deps, bot, user_id)
    await chats.create_chat(deps, platform(bot), room_spec("r", "owner", ["member"], name="Old"))
    before = await read_state(deps, bot.app_id, "r")
    assert before.members == [("member", Role.MEMBER), ("owner", Role.OWNER)]

    # Re-posting the room adds the listed members first, then renames it.
    spec = room_spec("r", None, ["member", "newcomer"], name="New")
    changes = chats.ChatChanges(name="New")
    if last_step == "refused_update":
        # A plain member may add members to an IMKit room, but not rename it.
        with pytest.raises(PermissionDenied) as refused:
            await chat_upsert.upsert_chat(deps, member, spec, changes)
        assert refused.value.reason == "only_managers_may_edit"
    else:
        fail_event(monkeypatch, "chat.updated")
        with pytest.raises(Injected):
            await chat_upsert.upsert_chat(deps, platform(bot), spec, changes)

    after = await read_state(deps, bot.app_id, "r")
    assert after == before
    assert after.chat is not None and after.chat.name == "Old"


async def test_room_upsert_of_an_existing_room_adds_then_updates_with_their_events(
    deps: Deps, bot: Actor
) -> None:
    for user_id in ("owner", "a", "b"):
        await imkit_user(deps, bot, user_id)
    await chats.create_chat(deps, platform(bot), room_spec("r", "owner", ["a"], name="Old"))
    head = (await read_state(deps, bot.app_id, "r")).events

    spec = room_spec("r", "owner", ["owner", "b"], name="New")
    chat = await chat_upsert.upsert_chat(deps, platform(bot), spec, chats.ChatChanges(name="New"))

    assert chat.name == "New" and chat.owner_id == "owner"
    after = await read_state(deps, bot.app_id, "r")
    assert [u for u, _ in after.members] == ["a", "b", "owner"]
    async with deps.uow() as uow:
        written = await uow.events.after(bot.app_id, head, 10)
    assert [e.type for e in written] == ["member.added", "chat.updated"]
    assert written[0].payload["user_ids"] == ["b"]


async def test_recall_that_fails_at_its_event_keeps_the_message_and_its_pin(
    deps: Deps, bot: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = await imkit_user(deps, bot, "owner")
    await chats.create_chat(deps, platform(bot), room_spec("r", "owner", []))
    new = messages.NewMessage(deps.ids.hex(24), "text", '"hi"', chat_rate_limited=False)
    sent = await messages.send_message(deps, owner, "r", new)
    await pins.pin_message(deps, owner, sent.id)
    before = await read_state(deps, bot.app_id, "r", message_id=sent.id)
    assert before.pin is not None and before.history == 1
    # Recalling unpins first (history row, pin event), then writes message.recalled last.
    fail_event(monkeypatch, "message.recalled")

    with pytest.raises(Injected):
        await messages.recall_message(deps, owner, sent.id, chat_id="r")

    after = await read_state(deps, bot.app_id, "r", message_id=sent.id)
    assert after == before
    assert after.message is not None and not after.message.recalled


async def test_recall_named_in_another_room_is_not_found_and_changes_nothing(
    deps: Deps, bot: Actor
) -> None:
    owner = await imkit_user(deps, bot, "owner")
    for room_id in ("r", "other"):
        await chats.create_chat(deps, platform(bot), room_spec(room_id, "owner", []))
    new = messages.NewMessage(deps.ids.hex(24), "text", '"hi"', chat_rate_limited=False)
    sent = await messages.send_message(deps, owner, "r", new)
    before = await read_state(deps, bot.app_id, "r", message_id=sent.id)

    with pytest.raises(NotFound) as missing:
        await messages.recall_message(deps, owner, sent.id, chat_id="other")

    assert missing.value.reason == "message_not_found"
    assert await read_state(deps, bot.app_id, "r", message_id=sent.id) == before
    recalled = await messages.recall_message(deps, owner, sent.id, chat_id="r")
    assert recalled.recalled and recalled.id == sent.id


async def test_conversation_pin_batch_that_fails_at_its_last_event_pins_and_starts_nothing(
    deps: Deps, bot: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await imkit_user(deps, bot, "alice")
    alice = Actor(alice.app, alice.user, "zim")
    for user_id in ("bob", "carol"):
        await imkit_user(deps, bot, user_id)
    await chats.create_chat(deps, alice, chats.NewChat(id="team", member_ids=["carol"]))
    before = await read_state(deps, bot.app_id, "team", pins_of="alice", peer="bob")
    assert before.conversation_pins == [] and before.p2p is None
    # Three changed conversations write three events, the last step of the batch; pinning the
    # peer first starts the chat with bob (its chat.created is written along the way).
    fail_event(monkeypatch, EventType.CONVERSATION_CHANGED, nth=3)

    refs = [
        ConversationRef(ChatKind.P2P, "bob"),
        ConversationRef(ChatKind.GROUP, "team"),
        ConversationRef(ChatKind.P2P, "bob"),
        ConversationRef(ChatKind.P2P, "carol"),
    ]
    with pytest.raises(Injected):
        await conversations.set_pinned(deps, alice, refs, True)

    assert await read_state(deps, bot.app_id, "team", pins_of="alice", peer="bob") == before


def refuse_chat_rate(monkeypatch: pytest.MonkeyPatch, deps: Deps) -> None:
    """Make every chat's message budget spent (Feishu 230020): the last check before a send
    writes anything of its own."""

    async def hit(
        key: str, limit: int, window_seconds: float, *, at: float | None = None
    ) -> float | None:
        return window_seconds

    monkeypatch.setattr(deps.limiter, "hit", hit)


@pytest.mark.parametrize("last_step", ["chat_message_rate", "message_event_fails"])
async def test_send_to_a_new_user_refused_at_sending_leaves_no_chat_no_member_no_event(
    deps: Deps, bot: Actor, monkeypatch: pytest.MonkeyPatch, last_step: str
) -> None:
    await as_user(deps, bot, "alice")
    p2p_id = chats.p2p_spec(bot, "alice").id
    new = messages.NewMessage("om_first", "text", '{"text":"hi"}')
    before = await read_state(deps, bot.app_id, p2p_id, message_id=new.id)
    assert before.chat is None and before.members == [] and before.message is None
    # Starting the chat (its members, chat.created) comes first; the send is checked after.
    if last_step == "chat_message_rate":
        refuse_chat_rate(monkeypatch, deps)
        with pytest.raises(RateLimited) as refused:
            await direct_messages.send_to_user(deps, bot, "alice", new)
        assert refused.value.reason == "chat_message_rate"
    else:
        fail_event(monkeypatch, "message.sent")
        with pytest.raises(Injected):
            await direct_messages.send_to_user(deps, bot, "alice", new)

    assert await read_state(deps, bot.app_id, p2p_id, message_id=new.id) == before


async def test_send_to_a_user_where_the_bot_may_not_send_leaves_no_chat(
    deps: Deps, bot: Actor
) -> None:
    # With a user token the app's bot must be in the chat (Feishu 230002), and a new p2p chat
    # of two users never has it.
    alice = await as_user(deps, bot, "alice")
    await as_user(deps, bot, "bob")
    p2p_id = chats.p2p_spec(alice, "bob").id
    new = messages.NewMessage("om_first", "text", '{"text":"hi"}')
    before = await read_state(deps, bot.app_id, p2p_id, message_id=new.id)

    with pytest.raises(PermissionDenied) as refused:
        await direct_messages.send_to_user(deps, alice, "bob", new)

    assert refused.value.reason == "bot_not_in_chat"
    assert await read_state(deps, bot.app_id, p2p_id, message_id=new.id) == before


async def test_send_to_a_user_starts_the_chat_once_and_then_sends_into_it(
    deps: Deps, bot: Actor
) -> None:
    await as_user(deps, bot, "alice")
    head = (await read_state(deps, bot.app_id, "none")).events

    first = await direct_messages.send_to_user(
        deps, bot, "alice", messages.NewMessage("om_1", "text", '{"text":"hi"}', send_key="k")
    )
    again = await direct_messages.send_to_user(
        deps, bot, "alice", messages.NewMessage("om_2", "text", '{"text":"hi"}', send_key="k")
    )
    second = await direct_messages.send_to_user(
        deps, bot, "alice", messages.NewMessage("om_3", "text", '{"text":"there"}')
    )

    # The same key returns the first message and writes nothing.
    assert again.id == first.id
    assert second.chat_id == first.chat_id == chats.p2p_spec(bot, "alice").id
    state = await read_state(deps, bot.app_id, first.chat_id)
    assert state.members == sorted([(bot.user.id, Role.OWNER), ("alice", Role.MEMBER)])
    async with deps.uow() as uow:
        written = await uow.events.after(bot.app_id, head, 10)
    assert [e.type for e in written] == ["chat.created", "message.sent", "message.sent"]
    assert [e.payload.get("message_id") for e in written[1:]] == ["om_1", "om_3"]


async def test_racing_first_messages_from_both_sides_all_arrive_in_one_chat(
    deps: Deps, bot: Actor
) -> None:
    # A pair's chat id follows from the pair: concurrent first messages meet on its key, and
    # the ones that lose that race send again into the chat the winner committed.
    alice = await imkit_user(deps, bot, "alice")
    bob = await imkit_user(deps, bot, "bob")
    alice, bob = Actor(alice.app, alice.user, "zim"), Actor(bob.app, bob.user, "zim")
    sends = [(alice, "bob"), (bob, "alice")] * 8

    def new(i: int) -> messages.NewMessage:
        return messages.NewMessage(str(i), "text", '"hi"', chat_rate_limited=False)

    sent = await asyncio.gather(
        *(
            direct_messages.send_to_user(deps, actor, peer, new(i))
            for i, (actor, peer) in enumerate(sends)
        )
    )

    assert {m.chat_id for m in sent} == {chats.p2p_spec(alice, "bob").id}
    page = await messages.list_chat_messages(deps, alice, sent[0].chat_id, limit=100)
    assert page.total == len(sends)


async def test_chat_change_merges_the_policy_under_the_lock_and_refusals_keep_nothing(
    deps: Deps, bot: Actor
) -> None:
    """Renaming and changing the pin rules are one use case: partial policy changes merge into
    the stored rules, and a refused change (a plain member's) keeps neither part."""
    from chatpins.core.services.chats import PinPolicyChange

    owner = await as_user(deps, bot, "owner_x")
    plain = await as_user(deps, bot, "member_x")
    spec = chats.NewChat(id="oc_" + deps.ids.hex(32), member_ids=["member_x"])
    chat = await chats.create_chat(deps, owner, spec)
    await chats.change_chat(deps, owner, chat.id, policy=PinPolicyChange(max_pins=3))
    await chats.change_chat(
        deps, owner, chat.id, name="renamed", policy=PinPolicyChange(rights={"pin": Role.ADMIN})
    )
    with pytest.raises(PermissionDenied):
        await chats.change_chat(
            deps, plain, chat.id, name="mine", policy=PinPolicyChange(clear_max_pins=True)
        )
    async with deps.uow() as uow:
        stored = await uow.chats.get(bot.app_id, chat.id)
    assert stored is not None
    assert (stored.name, stored.max_pins, stored.pin_rights.pin) == ("renamed", 3, Role.ADMIN)


async def _pinned_conversations(deps: Deps, app_id: str, user_id: str) -> list[tuple[str, str]]:
    """Every conversation pin row of the user, expired or not: (chat, position key)."""
    async with deps.uow() as uow:
        rows = await uow.conversation_pins.list_for_user(app_id, user_id, 0)
    return [(p.chat_id, p.rank) for p in rows]


class _Clock:
    def __init__(self, now_ms: int) -> None:
        self.now = now_ms

    def now_ms(self) -> int:
        return self.now


def _platform(bot: Actor) -> Actor:
    """The app's API key acting (the native API's platform)."""
    return Actor(bot.app, bot.user, "native", is_platform=True)


async def test_native_conversation_pin_that_fails_at_its_event_keeps_the_list_and_the_due_pin(
    deps: Deps, bot: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The call first sweeps alice's pin whose time is up (its own event), then pins: when the
    # pin's event fails, the sweep is undone too.
    # Far past any other test's clock, so no other test's sweep meets this due pin.
    clock = _Clock(4_000_000_000_000)
    deps = dataclasses.replace(deps, clock=clock)
    alice, platform = await as_user(deps, bot, "alice"), _platform(bot)
    ids = []
    for name in ("one", "two", "three"):
        chat = await chats.create_chat(deps, alice, chats.NewChat(id=name))
        ids.append(chat.id)
    await pinned_conversations.pin(deps, platform, "alice", ids[0])
    await pinned_conversations.pin(deps, platform, "alice", ids[1], expires_at=clock.now + 1000)
    clock.now += 1000  # the second pin falls due
    before = await _pinned_conversations(deps, bot.app_id, "alice")
    head = (await read_state(deps, bot.app_id, "none")).events
    fail_event(monkeypatch, "conversation.changed", nth=2)

    with pytest.raises(Injected):
        await pinned_conversations.pin(deps, platform, "alice", ids[2], position=1)

    assert await _pinned_conversations(deps, bot.app_id, "alice") == before
    assert len(before) == 2
    assert (await read_state(deps, bot.app_id, "none")).events == head


async def test_conversation_reorder_that_fails_at_its_event_moves_nothing(
    deps: Deps, bot: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await as_user(deps, bot, "alice")
    ids = []
    for name in ("one", "two", "three"):
        chat = await chats.create_chat(deps, alice, chats.NewChat(id=name))
        ids.append(chat.id)
        await pinned_conversations.pin(deps, _platform(bot), "alice", chat.id)
    before = await _pinned_conversations(deps, bot.app_id, "alice")
    fail_event(monkeypatch, "conversation.changed")

    with pytest.raises(Injected):
        await pinned_conversations.reorder(deps, _platform(bot), "alice", ids)

    assert await _pinned_conversations(deps, bot.app_id, "alice") == before


async def test_global_pin_that_fails_at_its_event_pins_nothing(
    deps: Deps, bot: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await as_user(deps, bot, "alice")
    chat = await chats.create_chat(deps, alice, chats.NewChat(id="team"))
    fail_event(monkeypatch, "conversation.changed")

    with pytest.raises(Injected):
        await global_pins.pin_globally(deps, _platform(bot), chat.id)

    async with deps.uow() as uow:
        assert await uow.global_pins.list(bot.app_id) == []

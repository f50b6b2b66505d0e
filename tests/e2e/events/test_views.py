"""Who sees what: a user's token shows the events of the chats it is in (following its own
``member.added`` / ``member.removed``) and of its own conversation list; an app sees its own
events and never another app's. A user's view is the same whether it resumes or stays
connected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.e2e.events.apps import head, outbox, send_messages
from tests.e2e.events.client import Stream, open_stream
from tests.e2e.imkit.conftest import IMKit, ok
from tests.e2e.live_server import Server
from tests.e2e.zim.client import Zim


def _setup(imkit: IMKit) -> None:
    """alice, bob, carol; room ``ab`` (alice + bob) and room ``ac`` (alice + carol)."""
    for user in ("alice", "bob", "carol"):
        imkit.user(user)
    imkit.room("ab", "alice", ["bob"])
    imkit.room("ac", "alice", ["carol"])


def _add(imkit: IMKit, room: str, user: str) -> None:
    ok(imkit.platform("POST", f"/rooms/{room}/members", json={"invitees": [user]}))


def _remove(imkit: IMKit, room: str, user: str) -> None:
    ok(imkit.platform("POST", f"/rooms/{room}/delete/members", json={"members": [user]}))


def _step(imkit: IMKit, action: Callable[[], Any]) -> list[int]:
    """Run one action; the seqs of the events it wrote (read back from the REST outbox)."""
    before = head(imkit)
    action()
    seqs = [e["seq"] for e in outbox(imkit, after=before)]
    assert seqs, "the action wrote no event"
    return seqs


def _say(imkit: IMKit, room: str, text: str = "hi") -> Callable[[], Any]:
    return lambda: imkit.send("alice", room, text)


async def test_a_user_sees_its_chats_and_its_own_membership_changes(
    imkit: IMKit, server: Server
) -> None:
    _setup(imkit)
    app_zim = imkit.app["zim"]
    bob = await open_stream(imkit.base_url, imkit.tokens["bob"])
    carol = await open_stream(imkit.base_url, imkit.tokens["carol"])
    try:
        with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
            zim = Zim(server.base_url, app_zim["app_id"], app_zim["server_secret"], http)
            in_ac_before = _step(imkit, _say(imkit, "ac"))
            in_ab = _step(imkit, _say(imkit, "ab"))
            bob_added = _step(imkit, lambda: _add(imkit, "ac", "bob"))
            in_ac_with_bob = _step(imkit, _say(imkit, "ac"))
            bob_removed = _step(imkit, lambda: _remove(imkit, "ac", "bob"))
            in_ac_after = _step(imkit, _say(imkit, "ac"))
            bob_pins = _step(imkit, lambda: zim.pin("bob", [("alice", 0)]))
            carol_pins = _step(imkit, lambda: zim.pin("carol", [("alice", 0)]))
            carol_joins_ab = _step(imkit, lambda: _add(imkit, "ab", "carol"))
        bob_sees = in_ab + bob_added + in_ac_with_bob + bob_removed + bob_pins + carol_joins_ab
        carol_sees = (
            in_ac_before
            + bob_added
            + in_ac_with_bob
            + bob_removed
            + in_ac_after
            + carol_pins
            + carol_joins_ab
        )
        # Both streams end with carol joining ab, which both see: reading exactly the expected
        # number of events and finding that one last proves nothing else was shown.
        assert await bob.read_events(len(bob_sees)) == bob_sees
        assert await carol.read_events(len(carol_sees)) == carol_sees
        listed = {e["seq"]: e for e in outbox(imkit)}
        assert [e["event"] for e in bob.events] == [listed[s] for s in bob_sees]
        membership = [e["event"] for e in bob.events if e["event"]["type"].startswith("member.")]
        assert [(e["type"], e["payload"]["chat_id"]) for e in membership] == [
            ("member.added", "ac"),
            ("member.removed", "ac"),
            ("member.added", "ab"),
        ]
        assert membership[0]["payload"]["user_ids"] == membership[1]["payload"]["user_ids"]
        assert membership[0]["payload"]["user_ids"] == ["bob"]
        pinned = next(e for e in bob.events if e["event"]["type"] == "conversation.changed")
        assert pinned["event"]["audience"] == "user:bob"
    finally:
        await bob.close()
        await carol.close()


async def _bob_resumes_across(
    imkit: IMKit, actions: list[Callable[[], Any]]
) -> list[tuple[str, str]]:
    """Bob streams twice: one stream stays connected, the other is dropped before ``actions``
    and resumes after them from its last seq. Asserts both show the same events; returns them
    as (type, chat) pairs. A message in ``ab`` ends the actions (bob sees it)."""
    live = await open_stream(imkit.base_url, imkit.tokens["bob"])
    flaky = await open_stream(imkit.base_url, imkit.tokens["bob"])
    resumed: Stream | None = None
    try:
        cursor = flaky.hello["after"]
        flaky.abort()
        for action in actions:
            action()
        last = _step(imkit, _say(imkit, "ab", "marker"))[-1]
        await live.read_until_seq(last)
        resumed = await open_stream(imkit.base_url, imkit.tokens["bob"], after=cursor)
        await resumed.read_until_seq(last)
        assert resumed.seqs == live.seqs
        return [(e["event"]["type"], e["event"]["payload"]["chat_id"]) for e in live.events]
    finally:
        await live.close()
        if resumed is not None:
            await resumed.close()


async def test_a_user_resuming_after_its_removal_still_gets_what_it_missed(imkit: IMKit) -> None:
    _setup(imkit)
    _add(imkit, "ac", "bob")
    seen = await _bob_resumes_across(
        imkit,
        [_say(imkit, "ac"), lambda: _remove(imkit, "ac", "bob"), _say(imkit, "ac")],
    )
    assert seen == [("message.sent", "ac"), ("member.removed", "ac"), ("message.sent", "ab")]


async def test_a_user_resuming_after_being_added_sees_the_chat_from_its_join(
    imkit: IMKit,
) -> None:
    _setup(imkit)
    seen = await _bob_resumes_across(
        imkit,
        [_say(imkit, "ac"), lambda: _add(imkit, "ac", "bob"), _say(imkit, "ac")],
    )
    assert seen == [("member.added", "ac"), ("message.sent", "ac"), ("message.sent", "ab")]


async def test_each_app_streams_only_its_own_events(
    imkit_factory: Callable[[], IMKit], server: Server
) -> None:
    apps = [imkit_factory(), imkit_factory()]
    for imkit in apps:  # the same user and room ids in both apps
        imkit.user("alice")
        imkit.room("lobby", "alice", [])
    streams: list[list[Stream]] = [
        [
            await open_stream(imkit.base_url, imkit.api_key, after=0),
            await open_stream(imkit.base_url, imkit.tokens["alice"], after=0),
            await open_stream(imkit.base_url, server.admin_key, app_id=imkit.app["id"], after=0),
        ]
        for imkit in apps
    ]
    try:
        # Interleaved: 3 in the first app, 5 in the second, 3 more in the first.
        await send_messages(apps[0], "alice", "lobby", 3)
        await send_messages(apps[1], "alice", "lobby", 5)
        await send_messages(apps[0], "alice", "lobby", 3)
        for imkit, own in zip(apps, streams, strict=True):
            listed = outbox(imkit)
            for stream in own:
                assert stream.hello["app_id"] == imkit.app["id"]
                await stream.read_events(len(listed))
                assert [f["event"] for f in stream.events] == listed
        # A later event of the other app never shows up before the next one of its own.
        await send_messages(apps[1], "alice", "lobby", 2)
        await send_messages(apps[0], "alice", "lobby", 1)
        newest = outbox(apps[0])[-1]
        for stream in streams[0]:
            assert (await stream.next_event())["event"] == newest
    finally:
        for own in streams:
            for stream in own:
                await stream.close()

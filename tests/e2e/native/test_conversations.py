"""A user's conversation list through `/v1` (docs/native.md, "Conversations"): the app's global
pins first, then the user's own pins in the user's order, then the rest by last activity; the
user's pins are the ones ZIM's ConvPinned changes, under one cap per app."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.feishu_client import Feishu
from tests.e2e.live_server import Server
from tests.e2e.native.client import (
    NativeApp,
    expect,
    expect_bad_request,
    expect_error,
    now_ms,
    wait_until,
)
from tests.e2e.zim.client import Zim

ZIM_CONVERSATION_PIN_LIMIT = 660800048
GONE_WITHIN_MS = 2_000
SWEPT_WITHIN_MS = 15_000


def _chats(app: NativeApp, count: int, members: tuple[str, ...] = ("bob",)) -> list[str]:
    """`count` group chats owned by alice (with `members`), created in order; each gets a
    message afterwards, the last one most recently."""
    for user in ("alice", "bob", "olga"):
        if app.api.get_user_request(user).status_code == 404:
            app.api.create_user(user)
    ids = [
        app.api.create_chat(name=f"chat {i}", owner="alice", members=list(members))["id"]
        for i in range(count)
    ]
    for chat_id in ids:
        app.api.send(chat_id, "hi", sender="alice")
    return ids


def _view(items: list[dict[str, Any]]) -> list[tuple[str, str | None, int | None]]:
    return [(i["chat_id"], i["pinned"], i["position"]) for i in items]


def _refused(reply: httpx.Response, status: int, reason: str) -> None:
    assert expect_error(reply, status)["reason"] == reason


def _set_cap(app: NativeApp, cap: int) -> None:
    expect(app.admin.patch(f"/v1/apps/{app.app_id}", json={"conversation_pin_cap": cap}), 200)


def test_list_shows_own_pins_in_order_then_the_rest_newest_first(native: NativeApp) -> None:
    a, b, c, d = _chats(native, 4)
    alice = native.as_user("alice")
    assert [i["chat_id"] for i in alice.conversations("alice")] == [d, c, b, a]

    first = expect(alice.pin_conversation_request("alice", b), 201)
    assert (first["chat_id"], first["position"], first["expires_at_ms"]) == (b, 0, None)
    second = expect(alice.pin_conversation_request("alice", a), 201)
    assert second["pinned_order"] == [a, b]  # a new pin goes to the top
    items = alice.conversations("alice")
    assert _view(items) == [(a, "user", 0), (b, "user", 1), (d, None, None), (c, None, None)]
    assert items[0]["type"] == "group" and items[0]["name"] == "chat 0"
    assert items[0]["pinned_at_ms"] >= first["pinned_at_ms"]
    assert items[2]["last_activity_ms"] >= items[3]["last_activity_ms"]

    # Pinning a pinned chat again changes nothing and answers 200 with its place.
    again = expect(alice.pin_conversation_request("alice", b), 200)
    assert (again["position"], again["pinned_at_ms"]) == (1, first["pinned_at_ms"])

    assert expect(alice.unpin_conversation_request("alice", a), 200) == {"pinned_order": [b]}
    _refused(alice.unpin_conversation_request("alice", a), 404, "conversation_not_pinned")
    assert _view(alice.conversations("alice"))[0] == (b, "user", 0)


def test_pin_at_a_position_and_reorder(native: NativeApp) -> None:
    a, b, c = _chats(native, 3)
    api = native.api  # the api key acts for any user of the app
    for chat_id in (a, b):
        api.pin_conversation("alice", chat_id)
    placed = expect(api.pin_conversation_request("alice", c, position=1), 201)
    assert placed["pinned_order"] == [b, c, a]
    moved = expect(api.pin_conversation_request("alice", b, position=99), 200)
    assert (moved["position"], moved["pinned_order"]) == (2, [c, a, b])

    reply = expect(api.order_conversations_request("alice", [a, b, c]), 200)
    assert reply == {"pinned_order": [a, b, c]}
    assert [i["chat_id"] for i in api.conversations("alice")][:3] == [a, b, c]
    for wrong in ([a, b], [a, b, c, c], [a, b, "nope"]):
        expect_bad_request(api.order_conversations_request("alice", wrong), "invalid_order")
    assert [i["chat_id"] for i in api.conversations("alice")][:3] == [a, b, c]


def test_global_pins_come_first_for_members_and_only_the_api_key_changes_them(
    native: NativeApp,
) -> None:
    a, b, c = _chats(native, 3)
    alice, bob = native.as_user("alice"), native.as_user("bob")
    alice.pin_conversation("alice", a)
    made = expect(native.api.pin_globally_request(c), 201)
    assert (made["chat_id"], made["position"], made["global_order"]) == (c, 0, [c])
    assert expect(native.api.pin_globally_request(c), 200)["position"] == 0

    assert _view(alice.conversations("alice"))[:2] == [(c, "global", 0), (a, "user", 0)]
    assert _view(bob.conversations("bob"))[0] == (c, "global", 0)
    assert c not in [i["chat_id"] for i in native.as_user("olga").conversations("olga")]

    # Members cannot unpin it from their list, nor pin or unpin globally.
    _refused(bob.unpin_conversation_request("bob", c), 403, "global_pin")
    expect_error(bob.pin_globally_request(b), 403)
    expect_error(alice.unpin_globally_request(c), 403)
    # A user's own pin of a globally pinned chat stays underneath it.
    bob.pin_conversation("bob", c)
    assert _view(bob.conversations("bob"))[0] == (c, "global", 0)

    assert expect(native.api.pin_globally_request(b, position=5), 201)["global_order"] == [c, b]
    assert expect(native.api.unpin_globally_request(c), 200) == {"global_order": [b]}
    _refused(native.api.unpin_globally_request(c), 404, "global_pin_not_found")
    # Bob's own pin shows again once the global one is gone.
    assert _view(bob.conversations("bob"))[:2] == [(b, "global", 0), (c, "user", 0)]


def test_a_user_sees_and_changes_only_its_own_list(native: NativeApp, native_factory: Any) -> None:
    (a,) = _chats(native, 1)
    bob = native.as_user("bob")
    _refused(bob.conversations_request("alice"), 403, "not_your_conversations")
    _refused(bob.pin_conversation_request("alice", a), 403, "not_your_conversations")
    expect_error(bob.order_conversations_request("alice", []), 403)
    # Only chats the user is in; unknown users and chats are 404.
    (x,) = _chats(native, 1, members=())
    _refused(bob.pin_conversation_request("bob", x), 403, "not_chat_member")
    expect_error(native.api.pin_conversation_request("nobody", a), 404)
    expect_error(native.api.pin_conversation_request("alice", "no-such-chat"), 404)
    # Another app's ids are not found, whatever the credential.
    other = native_factory()
    expect_error(other.api.conversations_request("alice"), 404)
    expect_error(other.api.pin_globally_request(a), 404)


def test_bad_input_is_refused_and_changes_nothing(native: NativeApp) -> None:
    a, b = _chats(native, 2)
    api = native.api
    api.pin_conversation("alice", a)
    before = api.conversations("alice")
    for body in (
        {"position": -1},
        {"position": "1"},
        {"ttl_seconds": 0},
        {"ttl_seconds": 1, "expires_at_ms": now_ms() + 10_000},
        {"expires_at_ms": 1},
        {"colour": "red"},
    ):
        reply = api.pin_conversation_request("alice", b, **body)
        assert reply.status_code in (400, 422), (body, reply.text)
    expect_bad_request(api.conversations_request("alice", cursor="not-a-cursor"))
    expect_bad_request(api.conversations_request("alice", limit=0))
    assert api.conversations("alice") == before


def test_pages_follow_the_cursor_without_gaps_or_repeats(native: NativeApp) -> None:
    ids = _chats(native, 7)
    api = native.api
    api.pin_conversation("alice", ids[3])
    expect(api.pin_globally_request(ids[5]), 201)
    whole = api.conversations("alice", page_size=200)
    paged = api.conversations("alice", page_size=3)
    assert paged == whole
    assert [i["chat_id"] for i in whole][:2] == [ids[5], ids[3]]
    assert sorted(i["chat_id"] for i in whole) == sorted(ids)


def test_cap_holds_under_parallel_pins(native: NativeApp) -> None:
    ids = _chats(native, 12)
    _set_cap(native, 3)
    alice = native.as_user("alice")

    async def run() -> list[httpx.Response]:
        async with alice.async_client() as http:
            return await asyncio.gather(
                *(http.put(f"/v1/users/alice/conversations/{c}/pin", json={}) for c in ids)
            )

    replies = asyncio.run(run())
    assert sorted(r.status_code for r in replies) == [201] * 3 + [422] * 9
    refused = next(r for r in replies if r.status_code == 422)
    assert refused.json()["error"]["reason"] == "conversation_pin_limit"
    pinned = [i for i in alice.conversations("alice") if i["pinned"] == "user"]
    assert len(pinned) == 3
    caps = expect(alice.http.get("/v1/capabilities"), 200)["conversations"]
    assert caps["pin_cap"] == 3


@pytest.fixture
def zim(server: Server, native: NativeApp) -> Iterator[Zim]:
    """The same app through the independent ZIM client."""
    http = httpx.Client(base_url=server.base_url, timeout=30.0)
    yield Zim(
        server.base_url, native.app["zim"]["app_id"], native.app["zim"]["server_secret"], http
    )
    http.close()


def test_zim_and_native_pins_are_one_list_under_one_cap(native: NativeApp, zim: Zim) -> None:
    a, b, c = _chats(native, 3)
    assert zim.pin("alice", [(a, 2)])["Code"] == 0
    assert _view(native.api.conversations("alice"))[0] == (a, "user", 0)
    native.api.pin_conversation("alice", b, position=1)
    assert set(zim.pinned("alice")) == {a, b}

    _set_cap(native, 2)
    reply = zim.pin("alice", [(c, 2)])
    assert [e["SubCode"] for e in reply["ErrorList"]] == [ZIM_CONVERSATION_PIN_LIMIT]
    expect_error(native.api.pin_conversation_request("alice", c), 422)
    # A pin ZIM makes goes to the end of the user's order (ZIM appends).
    _set_cap(native, 100)
    assert zim.pin("alice", [(c, 2)])["Code"] == 0
    pinned = [i["chat_id"] for i in native.api.conversations("alice") if i["pinned"]]
    assert pinned == [a, b, c]


def test_an_expired_conversation_pin_leaves_every_list_and_is_swept_once(
    native: NativeApp, zim: Zim
) -> None:
    a, b = _chats(native, 2)
    native.api.pin_conversation("alice", b)
    made = native.api.pin_conversation("alice", a, ttl_seconds=1)
    expires = made["expires_at_ms"]
    assert 950 <= expires - made["pinned_at_ms"] <= 1_050

    def gone() -> bool:
        mine = [i["chat_id"] for i in native.api.conversations("alice") if i["pinned"]]
        return mine == [b] and zim.pinned("alice") == [b]

    wait_until(gone, expires + GONE_WITHIN_MS, "the expired pin to leave both lists")

    def expired_events() -> list[dict[str, Any]]:
        return [
            e
            for e in native.events("conversation.")
            if e["payload"].get("change") == "expired"
            and e["payload"]["conversation"]["chat_id"] == a
        ]

    [event] = wait_until(expired_events, now_ms() + SWEPT_WITHIN_MS, "the expiry event")
    assert event["audience"] == "user:alice"
    assert event["payload"]["pinned_order"] == [b]
    # The expired conversation may be pinned again, and the cap counted it out.
    native.api.pin_conversation("alice", a)
    assert len(expired_events()) == 1


def test_changes_write_conversation_events_to_the_right_audience(native: NativeApp) -> None:
    a, b = _chats(native, 2)
    native.api.pin_conversation("alice", a)
    native.api.pin_conversation("alice", b)
    expect(native.api.order_conversations_request("alice", [a, b]), 200)
    expect(native.api.pin_globally_request(a), 201)
    events = [e for e in native.events("conversation.")]
    kinds = [(e["audience"], e["payload"]["scope"], e["payload"]["change"]) for e in events]
    assert kinds == [
        ("user:alice", "user", "updated"),
        ("user:alice", "user", "updated"),
        ("user:alice", "user", "reordered"),
        (f"chat:{a}", "global", "updated"),
    ]
    assert events[2]["payload"]["pinned_order"] == [a, b]
    assert events[3]["payload"]["global_order"] == [a]
    assert events[1]["payload"]["conversation"]["position"] == 0


def test_a_dissolved_chat_leaves_the_global_pins(native: NativeApp, feishu: Feishu) -> None:
    (kept,) = _chats(native, 1)
    feishu.add_user("fiona")
    gone = feishu.create_chat(owner="fiona")
    expect(native.api.pin_globally_request(kept), 201)
    assert expect(native.api.pin_globally_request(gone), 201)["global_order"] == [gone, kept]
    feishu.dissolve(gone)
    assert expect(native.api.pin_globally_request(kept), 200)["global_order"] == [kept]
    assert _view(native.api.conversations("alice"))[0] == (kept, "global", 0)


def test_global_pin_cap_holds_under_parallel_pins(native: NativeApp) -> None:
    ids = _chats(native, 60)

    async def run() -> list[httpx.Response]:
        async with native.api.async_client() as http:
            return await asyncio.gather(*(http.put(f"/v1/chats/{c}/global-pin") for c in ids))

    replies = asyncio.run(run())
    assert sorted(r.status_code for r in replies) == [201] * 50 + [422] * 10
    refused = next(r for r in replies if r.status_code == 422)
    assert refused.json()["error"]["reason"] == "global_pin_limit"
    listed = [i for i in native.api.conversations("alice") if i["pinned"] == "global"]
    assert sorted(i["position"] for i in listed) == list(range(50))

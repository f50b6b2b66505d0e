"""The stream's contract for one client: the ``hello``, where it starts (``after``), what an event
frame holds (the same event as the REST outbox), heartbeats, ping/pong and the ZIM format."""

from __future__ import annotations

import asyncio
import json

import httpx

from tests.e2e.events.apps import head, outbox, send_messages
from tests.e2e.events.client import Stream, open_stream, seq_of
from tests.e2e.events.conftest import TUNED_HEARTBEAT_S
from tests.e2e.imkit.conftest import IMKit
from tests.e2e.live_server import Server
from tests.e2e.zim.client import Zim


def _chat(imkit: IMKit, room: str = "lobby") -> None:
    for user in ("alice", "bob"):
        imkit.user(user)
    imkit.room(room, "alice", ["bob"])


async def _next_is_a_new_one(imkit: IMKit, stream: Stream) -> None:
    """Make one more event: it is the next the stream sends (nothing extra or repeated came
    before it)."""
    await send_messages(imkit, "alice", "lobby", 1)
    assert seq_of(await stream.next_event()) == head(imkit)


async def test_hello_comes_first_and_describes_the_app_stream(imkit: IMKit) -> None:
    _chat(imkit)
    newest = head(imkit)
    assert newest > 0
    for in_query in (False, True):
        stream = await open_stream(imkit.base_url, imkit.api_key, in_query=in_query)
        try:
            assert stream.hello["app_id"] == imkit.app["id"]
            assert stream.hello["user_id"] is None
            assert stream.hello["after"] == newest and stream.hello["head"] == newest
            assert stream.hello["heartbeat_seconds"] > 0
        finally:
            await stream.close()


async def test_hello_of_a_user_stream_names_the_user(imkit: IMKit) -> None:
    _chat(imkit)
    stream = await open_stream(imkit.base_url, imkit.tokens["bob"], after=0)
    try:
        assert stream.hello["app_id"] == imkit.app["id"]
        assert stream.hello["user_id"] == "bob"
        assert stream.hello["after"] == 0 and stream.hello["head"] == head(imkit)
    finally:
        await stream.close()


async def test_feishu_tokens_open_the_app_and_the_user_streams(imkit: IMKit) -> None:
    _chat(imkit)
    keys = {
        "app_id": imkit.app["feishu"]["app_id"],
        "app_secret": imkit.app["feishu"]["app_secret"],
    }
    reply = imkit.http.post("/open-apis/auth/v3/tenant_access_token/internal", json=keys)
    assert reply.status_code == 200 and reply.json()["code"] == 0, reply.text
    tenant = await open_stream(imkit.base_url, reply.json()["tenant_access_token"], after=0)
    issued = imkit.admin.post(
        f"/v1/apps/{imkit.app['id']}/tokens", json={"user_id": "bob", "dialect": "feishu"}
    )
    assert issued.status_code == 201, issued.text
    user = await open_stream(imkit.base_url, issued.json()["token"], in_query=True, after=0)
    try:
        assert tenant.hello["app_id"] == user.hello["app_id"] == imkit.app["id"]
        assert tenant.hello["user_id"] is None and user.hello["user_id"] == "bob"
        listed = outbox(imkit)  # all in the room bob is in, so his view has them all too
        for stream in (tenant, user):
            assert [(await stream.next_event())["event"] for _ in listed] == listed
    finally:
        await tenant.close()
        await user.close()


async def test_without_after_the_stream_starts_now(imkit: IMKit) -> None:
    _chat(imkit)
    await send_messages(imkit, "alice", "lobby", 3)
    newest = head(imkit)
    stream = await open_stream(imkit.base_url, imkit.api_key)
    try:
        assert stream.hello["after"] == newest
        await send_messages(imkit, "bob", "lobby", 1)
        frame = await stream.next_event()  # the new event, nothing old before it
        assert seq_of(frame) == newest + 1
        assert json.loads(frame["event"]["payload"]["content"]) == "m0"
        assert frame["event"]["payload"]["actor"] == "bob"
    finally:
        await stream.close()


async def test_after_zero_replays_the_outbox_exactly_as_the_rest_list(imkit: IMKit) -> None:
    _chat(imkit)
    await send_messages(imkit, "alice", "lobby", 5)
    listed = outbox(imkit)
    stream = await open_stream(imkit.base_url, imkit.api_key, after=0)
    try:
        frames = [await stream.next_event() for _ in listed]
        # The full native event, not only its seq: the same id, type, audience, time, payload.
        assert [f["event"] for f in frames] == listed
        assert [f["type"] for f in frames] == ["event"] * len(listed)
        assert [e["seq"] for e in listed] == list(range(1, len(listed) + 1))
        assert len({e["id"] for e in listed}) == len(listed)
        # Live events after the replay match the REST list too.
        await send_messages(imkit, "bob", "lobby", 2)
        live = [await stream.next_event() for _ in range(2)]
        assert [f["event"] for f in live] == outbox(imkit, after=len(listed))
        await _next_is_a_new_one(imkit, stream)
    finally:
        await stream.close()


async def test_after_a_seq_resumes_right_after_it(imkit: IMKit) -> None:
    _chat(imkit)
    await send_messages(imkit, "alice", "lobby", 6)
    listed = outbox(imkit)
    middle = listed[len(listed) // 2]["seq"]
    stream = await open_stream(imkit.base_url, imkit.api_key, after=middle)
    try:
        assert stream.hello["after"] == middle
        await stream.read_events(len(listed) - middle)
        assert stream.seqs == list(range(middle + 1, len(listed) + 1))
        await _next_is_a_new_one(imkit, stream)
    finally:
        await stream.close()


async def test_after_the_newest_seq_is_allowed_and_waits(imkit: IMKit) -> None:
    _chat(imkit)
    newest = head(imkit)
    stream = await open_stream(imkit.base_url, imkit.api_key, after=newest)
    try:
        await _next_is_a_new_one(imkit, stream)
        assert stream.seqs == [newest + 1]
    finally:
        await stream.close()


async def test_quiet_stream_sends_heartbeats_with_the_newest_seq(tuned_imkit: IMKit) -> None:
    _chat(tuned_imkit)
    newest = head(tuned_imkit)
    stream = await open_stream(tuned_imkit.base_url, tuned_imkit.api_key)
    try:
        assert stream.hello["heartbeat_seconds"] == TUNED_HEARTBEAT_S
        beats = [await stream.frame(wait_s=5 * TUNED_HEARTBEAT_S) for _ in range(3)]
        assert beats == [{"type": "heartbeat", "seq": newest}] * 3
        await send_messages(tuned_imkit, "alice", "lobby", 1)
        await stream.read_until_seq(newest + 1)
        # The next heartbeat carries the seq just sent.
        after = await stream.frame(wait_s=5 * TUNED_HEARTBEAT_S)
        assert after == {"type": "heartbeat", "seq": newest + 1}
    finally:
        await stream.close()


async def test_ping_gets_pong_and_junk_frames_are_ignored(tuned_imkit: IMKit) -> None:
    _chat(tuned_imkit)
    stream = await open_stream(tuned_imkit.base_url, tuned_imkit.api_key)
    try:
        for junk in ("not json", "[1, 2]", json.dumps({"type": "dance"})):
            await stream.ws.send(junk)
        await stream.ws.send(json.dumps({"type": "ping"}))
        async with asyncio.timeout(5):
            while (frame := await stream.frame())["type"] == "heartbeat":
                pass
        assert frame == {"type": "pong"}
        # Still a working stream.
        await send_messages(tuned_imkit, "alice", "lobby", 1)
        assert await stream.read_events(1) == [head(tuned_imkit)]
    finally:
        await stream.close()


async def test_zim_format_renders_conversation_pins_as_conversation_changed(
    imkit: IMKit, server: Server
) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
        zim = Zim(
            server.base_url, imkit.app["zim"]["app_id"], imkit.app["zim"]["server_secret"], http
        )
        zim.register("alice", "bob")
        zim.send_text("bob", "alice")
        newest = head(imkit)
        native = await open_stream(imkit.base_url, imkit.api_key)
        zim_stream = await open_stream(imkit.base_url, imkit.api_key, format="zim")
        try:
            assert zim.pin("alice", [("bob", 0)])["Code"] == 0
            listed = outbox(imkit, after=newest)
            assert [e["type"] for e in listed] == ["conversation.changed"]
            event = listed[0]
            frame = await zim_stream.next_event()
            assert frame["type"] == "conversationChanged"
            assert frame["id"] == event["id"] and frame["seq"] == event["seq"]
            conversation = event["payload"]["conversation"]
            assert frame["infoList"] == [
                {
                    "event": 1,
                    "action": 2,
                    "conversation": {
                        "conversationID": "bob",
                        "type": 0,
                        "isPinned": True,
                        "pinnedTime": conversation["pinned_at"],
                        "orderKey": conversation["order_key"],
                    },
                }
            ]
            assert conversation["pinned_at"] > 0
            # The native stream carries the same event natively.
            assert (await native.next_event())["event"] == event
            # Other events stay native in the ZIM format.
            zim.send_text("alice", "bob", "again")
            sent = outbox(imkit, after=event["seq"])
            assert (await zim_stream.next_event())["event"] == sent[0]
        finally:
            await native.close()
            await zim_stream.close()

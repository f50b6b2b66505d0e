"""Feishu-format webhooks, received by lark-oapi's own EventDispatcherHandler: it checks the
URL challenge, the verification token and the signature, decrypts, and parses each event into
the SDK's typed models."""

from __future__ import annotations

import json
import threading
from typing import Any

import lark_oapi as lark
import pytest
from lark_oapi.api.im.v1 import UpdateChatRequest, UpdateChatRequestBody

from tests.e2e.feishu_client import Feishu, expect_ok
from tests.e2e.webhooks.conftest import Received, Receiver

TOKEN, KEY = "v-token-e2e", "encrypt-key-e2e"


class LarkReceiver:
    """A receiver path answered by lark-oapi, collecting each parsed event."""

    def __init__(self, receiver: Receiver, path: str, encrypt_key: str = KEY) -> None:
        self.events: list[tuple[str, Any]] = []
        self.lock = threading.Lock()

        def keep(data: Any) -> None:
            with self.lock:
                self.events.append((data.header.event_type, data))

        builder = lark.EventDispatcherHandler.builder(encrypt_key, TOKEN)
        for register in (
            builder.register_p2_im_message_receive_v1,
            builder.register_p2_im_message_recalled_v1,
            builder.register_p2_im_chat_disbanded_v1,
            builder.register_p2_im_chat_updated_v1,
            builder.register_p2_im_chat_member_user_added_v1,
            builder.register_p2_im_chat_member_user_deleted_v1,
            builder.register_p2_im_chat_member_user_withdrawn_v1,
            builder.register_p2_im_chat_member_bot_added_v1,
            builder.register_p2_im_chat_member_bot_deleted_v1,
        ):
            builder = register(keep)
        self.handler = builder.build()
        receiver.on(path, self.answer)

    def answer(self, request: Received, _before: int) -> tuple[int, bytes]:
        raw = lark.RawRequest()
        raw.uri, raw.body = "/", request.body
        # lark-oapi looks the signature headers up by their canonical names.
        raw.headers = {
            "-".join(p.capitalize() for p in k.split("-")): v for k, v in request.headers.items()
        }
        response = self.handler.do(raw)
        return response.status_code, response.content or b""

    def of(self, event_type: str) -> list[Any]:
        with self.lock:
            return [data for name, data in self.events if name == event_type]


def test_chat_life_reaches_a_lark_oapi_receiver_as_feishu_events(
    feishu: Feishu, receiver: Receiver
) -> None:
    lark_receiver = LarkReceiver(receiver, "/lark")
    hook = feishu.admin.post(
        f"/v1/apps/{feishu.app['id']}/webhooks",
        json={
            "url": receiver.url("/lark"),
            "format": "feishu",
            "feishu": {"verification_token": TOKEN, "encrypt_key": KEY},
        },
    )
    assert hook.status_code == 201, hook.text
    challenge = receiver.at("/lark")[0]
    assert set(json.loads(challenge.body)) == {"encrypt"}  # even the URL check is encrypted

    feishu.add_users("alice", "bob", "carol")
    chat_id = feishu.create_chat(members=["alice", "bob"], name="launch")
    expect_ok(feishu.add_members(chat_id, ["carol"]))
    message_id = feishu.send_text(chat_id, "hello from alice", as_user="alice")
    bot_message = feishu.send_text(chat_id, "the bot speaks")
    expect_ok(feishu.recall(message_id))  # by the bot, the chat's owner
    update = (
        UpdateChatRequest.builder()
        .chat_id(chat_id)
        .request_body(UpdateChatRequestBody.builder().name("launch v2").build())
        .build()
    )
    expect_ok(feishu.client.im.v1.chat.update(update))
    expect_ok(feishu.remove_members(chat_id, [feishu.open_id("bob")]))
    expect_ok(feishu.dissolve(chat_id))

    expected = {
        "im.message.receive_v1",
        "im.message.recalled_v1",
        "im.chat.member.user.added_v1",
        "im.chat.updated_v1",
        "im.chat.member.user.deleted_v1",
        "im.chat.disbanded_v1",
    }
    # Deliveries run in parallel (at-least-once, unordered): wait for every type.
    receiver.wait_for(lambda: {name for name, _ in lark_receiver.events} == expected)
    app_id = feishu.app["feishu"]["app_id"]
    assert all(
        data.header.app_id == app_id and data.header.token == TOKEN
        for _, data in lark_receiver.events
    )
    assert len({data.header.event_id for _, data in lark_receiver.events}) == len(
        lark_receiver.events
    )

    received = lark_receiver.of("im.message.receive_v1")
    assert [r.event.message.message_id for r in received] == [message_id]  # not the bot's own
    message = received[0].event.message
    assert message.chat_id == chat_id and message.chat_type == "group"
    assert message.message_type == "text" and json.loads(message.content) == {
        "text": "hello from alice"
    }
    assert received[0].event.sender.sender_id.open_id == feishu.open_id("alice")
    assert received[0].event.sender.sender_type == "user"
    assert bot_message

    recalled = lark_receiver.of("im.message.recalled_v1")[0].event
    assert (recalled.message_id, recalled.chat_id, recalled.recall_type) == (
        message_id,
        chat_id,
        "group_owner",
    )

    added = lark_receiver.of("im.chat.member.user.added_v1")
    assert [[u.user_id.open_id for u in a.event.users] for a in added] == [
        [feishu.open_id("carol")]
    ]
    assert added[0].event.name == "launch"

    updated = lark_receiver.of("im.chat.updated_v1")[0].event
    assert updated.before_change.name == "launch" and updated.after_change.name == "launch v2"

    deleted = lark_receiver.of("im.chat.member.user.deleted_v1")[0].event
    assert [u.user_id.open_id for u in deleted.users] == [feishu.open_id("bob")]

    disbanded = lark_receiver.of("im.chat.disbanded_v1")[0].event
    assert disbanded.chat_id == chat_id and disbanded.name == "launch v2"


def test_plain_json_without_an_encrypt_key(feishu: Feishu, receiver: Receiver) -> None:
    lark_receiver = LarkReceiver(receiver, "/plain", encrypt_key="")
    reply = feishu.admin.post(
        f"/v1/apps/{feishu.app['id']}/webhooks",
        json={
            "url": receiver.url("/plain"),
            "format": "feishu",
            "event_types": ["im.message.receive_v1"],
            "feishu": {"verification_token": TOKEN},
        },
    )
    assert reply.status_code == 201, reply.text
    feishu.add_users("alice")
    chat_id = feishu.create_chat(members=["alice"])
    feishu.send_text(chat_id, "plain", as_user="alice")
    receiver.wait_for(lambda: len(lark_receiver.of("im.message.receive_v1")) == 1)
    pushed = [json.loads(r.body) for r in receiver.at("/plain")][1:]
    assert (
        pushed[0]["schema"] == "2.0"
        and pushed[0]["header"]["event_type"] == "im.message.receive_v1"
    )
    assert "x-lark-signature" not in receiver.at("/plain")[1].headers


@pytest.mark.parametrize(
    ("token", "key", "path"),
    [("wrong-token", KEY, "/lark"), (TOKEN, "wrong-key", "/lark"), (TOKEN, KEY, "/nowhere")],
)
def test_a_url_that_fails_the_challenge_is_refused(
    feishu: Feishu, receiver: Receiver, token: str, key: str, path: str
) -> None:
    LarkReceiver(receiver, "/lark")
    receiver.on("/nowhere", lambda _r, _n: (404, b"not here"))
    reply = feishu.admin.post(
        f"/v1/apps/{feishu.app['id']}/webhooks",
        json={
            "url": receiver.url(path),
            "format": "feishu",
            "feishu": {"verification_token": token, "encrypt_key": key},
        },
    )
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["code"] == "url_verification_failed"
    listed = feishu.admin.get(f"/v1/apps/{feishu.app['id']}/webhooks").json()["webhooks"]
    assert listed == []

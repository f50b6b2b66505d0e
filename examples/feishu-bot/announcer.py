"""A tiny Feishu bot: posts an announcement into a group and pins it, keeping at most a few
announcements pinned (the oldest is unpinned first). It knows nothing of chatpins: it talks
to Feishu's open platform through the official SDK, pointed at whatever ``domain`` it is given.
"""

from __future__ import annotations

import json

import lark_oapi as lark
from lark_oapi.api.im.v1 import (
    CreateMessageRequest,
    CreateMessageRequestBody,
    CreatePinRequest,
    CreatePinRequestBody,
    DeletePinRequest,
    ListPinRequest,
)


class FeishuError(RuntimeError):
    def __init__(self, what: str, code: int, msg: str) -> None:
        super().__init__(f"{what}: {code} {msg}")
        self.code = code


def _ok(what: str, response: lark.BaseResponse) -> None:
    if not response.success():
        raise FeishuError(what, response.code, response.msg)


class Announcer:
    def __init__(self, client: lark.Client, keep_pinned: int = 3, attempts: int = 3) -> None:
        self.client = client
        self.keep_pinned = keep_pinned
        self.attempts = attempts  # tries per call when Feishu says "too fast" (230020)

    def announce(self, chat_id: str, text: str) -> str:
        """Post ``text`` into the group and pin it; returns the message id."""
        body = (
            CreateMessageRequestBody.builder()
            .receive_id(chat_id)
            .msg_type("text")
            .content(json.dumps({"text": text}))
            .build()
        )
        request = (
            CreateMessageRequest.builder().receive_id_type("chat_id").request_body(body).build()
        )
        sent = self._with_retry("send", lambda: self.client.im.v1.message.create(request))
        message_id = sent.data.message_id
        for old in self.pinned(chat_id)[self.keep_pinned - 1 :]:
            self.unpin(old)
        pin = CreatePinRequest.builder().request_body(
            CreatePinRequestBody.builder().message_id(message_id).build()
        )
        self._with_retry("pin", lambda: self.client.im.v1.pin.create(pin.build()))
        return message_id

    def pinned(self, chat_id: str) -> list[str]:
        """The chat's pinned message ids, newest first (Feishu lists pins newest first)."""
        request = ListPinRequest.builder().chat_id(chat_id).page_size(50).build()
        response = self.client.im.v1.pin.list(request)
        _ok("list pins", response)
        return [item.message_id for item in response.data.items or []]

    def unpin(self, message_id: str) -> None:
        request = DeletePinRequest.builder().message_id(message_id).build()
        _ok("unpin", self.client.im.v1.pin.delete(request))

    def _with_retry(self, what: str, call):
        for attempt in range(1, self.attempts + 1):
            response = call()
            if response.success():
                return response
            if response.code != 230020 or attempt == self.attempts:
                raise FeishuError(what, response.code, response.msg)
        raise AssertionError("unreachable")

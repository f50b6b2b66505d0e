"""`Feishu`: one provisioned app plus its lark-oapi client, with shortcuts for SDK calls."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import lark_oapi as lark
from lark_oapi.api.im.v1 import (
    AddManagersChatManagersRequest,
    AddManagersChatManagersRequestBody,
    CreateChatMembersRequest,
    CreateChatMembersRequestBody,
    CreateChatRequest,
    CreateChatRequestBody,
    CreateMessageRequest,
    CreateMessageRequestBody,
    CreatePinRequest,
    CreatePinRequestBody,
    DeleteChatMembersRequest,
    DeleteChatMembersRequestBody,
    DeleteChatRequest,
    DeleteMessageRequest,
    DeletePinRequest,
    GetChatRequest,
    ListPinRequest,
)

# Codes the server answers when a setup step is merely too fast (vendor limits, feishu.md §5):
# app rate limit, message-per-group limit, chat-operation limit. Setup helpers wait and retry.
_SETUP_RETRY_CODES = {99991400, 230020, 232019}

# `msg` texts fixed by the contract (feishu.md §4 and the pin tables in §6.10).
EXPECTED_MSG = {
    230001: "Your request contains an invalid request parameter.",
    230002: "The bot can not be outside the group.",
    230006: "Bot ability is not activated.",
    230011: "The message is recalled.",
    230013: "Bot has NO availability to this user.",
    230020: "This operation triggers the frequency limit.",
    230027: "Lack of necessary permissions.",
    230045: "The chat not exist.",
    230046: "No Permission to Pin/Unpin messages in the chat.",
    230047: "Pin/Unpin message trigger message_id limit.",
    230050: "The message is invisible to the operator.",
    230054: "This operation is not supported for this message type.",
    230111: "Action unavailable as the message will self-destruct soon.",
    232009: "Your request specifies a chat which has already been dissolved.",
    99991400: "request trigger frequency limit",
    99991661: (
        "Missing access token for authorization. Please make a request with token attached."
    ),
    99991663: (
        "Invalid access token for authorization. Please make a request with token attached."
    ),
    99991668: (
        "Invalid access token for authorization. Please make a request with token attached."
    ),
    99991671: "Invalid token: must start with t-/u-",
    99991677: "token expire",
}


def build_lark_client(base_url: str, app_id: str, app_secret: str) -> lark.Client:
    return (
        lark.Client.builder()
        .app_id(app_id)
        .app_secret(app_secret)
        .domain(base_url)
        .enable_set_token(True)
        .log_level(lark.LogLevel.WARNING)
        .build()
    )


# --------------------------------------------------------------------------- Feishu helper


def expect_error(resp: Any, code: int, status: int = 400) -> None:
    """Assert a Feishu error reply: code, HTTP status and (when the contract fixes it) msg."""
    if isinstance(resp, httpx.Response):
        body = resp.json()
        got_code, got_msg, got_status = body.get("code"), body.get("msg"), resp.status_code
        where = resp.text
    else:
        got_code, got_msg, got_status = resp.code, resp.msg, resp.raw.status_code
        where = resp.raw.content[:500]
    assert got_code == code, (
        f"expected code {code}, got {got_code!r} (HTTP {got_status}): {where!r}"
    )
    assert got_status == status, f"code {code}: expected HTTP {status}, got {got_status}"
    assert isinstance(got_msg, str)
    if code in EXPECTED_MSG:
        assert got_msg == EXPECTED_MSG[code], f"code {code}: msg {got_msg!r}"


def run_concurrently(*calls: Awaitable[Any]) -> list[Any]:
    """Run SDK async calls (`acreate`, ...) at once with asyncio.gather; replies in call order."""

    async def run() -> list[Any]:
        return list(await asyncio.gather(*calls))

    return asyncio.run(run())


def expect_ok(resp: Any) -> Any:
    assert resp.code == 0, (
        f"expected success, got {resp.code!r} {resp.msg!r}: {resp.raw.content[:500]!r}"
    )
    assert resp.raw.status_code == 200
    return getattr(resp, "data", None)


@dataclass
class Feishu:
    """A freshly provisioned app plus an SDK client and shortcuts for common SDK calls.

    `as_user="alice"` makes a call with alice's user token (issued on first use);
    without it the SDK fetches and sends the app's tenant token.
    """

    base_url: str
    admin: httpx.Client
    app: dict[str, Any]
    client: lark.Client
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)

    expect_error = staticmethod(expect_error)
    expect_ok = staticmethod(expect_ok)
    run_concurrently = staticmethod(run_concurrently)

    # ---- native provisioning
    @property
    def app_id(self) -> str:
        return self.app["feishu"]["app_id"]

    @property
    def app_secret(self) -> str:
        return self.app["feishu"]["app_secret"]

    def patch_app(self, **settings: Any) -> dict[str, Any]:
        reply = self.admin.patch(f"/v1/apps/{self.app['id']}", json=settings)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def add_user(
        self, user_id: str, name: str | None = None, is_bot: bool = False
    ) -> dict[str, Any]:
        reply = self.admin.post(
            f"/v1/apps/{self.app['id']}/users",
            json={"id": user_id, "name": name or user_id.title(), "is_bot": is_bot},
        )
        assert reply.status_code == 201, reply.text
        self.users[user_id] = reply.json()
        return self.users[user_id]

    def add_users(self, *user_ids: str) -> None:
        for user_id in user_ids:
            self.add_user(user_id)

    def open_id(self, user_id: str) -> str:
        return self.users[user_id]["feishu"]["open_id"]

    def issue_token(self, user_id: str, ttl_seconds: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"user_id": user_id, "dialect": "feishu"}
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        reply = self.admin.post(f"/v1/apps/{self.app['id']}/tokens", json=body)
        assert reply.status_code == 201, reply.text
        return reply.json()

    def user_token(self, user_id: str) -> str:
        if user_id not in self._tokens:
            self._tokens[user_id] = self.issue_token(user_id)["token"]
        return self._tokens[user_id]

    def option(self, as_user: str | None) -> lark.RequestOption | None:
        if as_user is None:
            return None
        return lark.RequestOption.builder().user_access_token(self.user_token(as_user)).build()

    def patch_message(self, message_id: str, **body: Any) -> dict[str, Any]:
        reply = self.admin.patch(f"/v1/apps/{self.app['id']}/messages/{message_id}", json=body)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def tenant_token(self) -> str:
        """A tenant token fetched through the SDK's token manager (and its cache)."""
        from lark_oapi.core.token import TokenManager

        return TokenManager.get_self_tenant_token(self.client.config)

    # ---- setup calls that tolerate vendor pacing limits
    def _retry(self, call: Callable[[], Any]) -> Any:
        for _ in range(60):
            resp = call()
            if resp.code not in _SETUP_RETRY_CODES:
                return resp
            time.sleep(0.25)
        return resp

    def create_chat_request(
        self,
        *,
        owner: str | None = None,
        members: tuple[str, ...] | list[str] = (),
        pin_manage_setting: str | None = None,
        set_bot_manager: bool | None = None,
        uuid: str | None = None,
        name: str = "e2e chat",
        as_user: str | None = None,
        list_owner: bool = True,
    ) -> Any:
        body = CreateChatRequestBody.builder().name(name)
        user_ids = [self.open_id(u) for u in members]
        if owner is not None:
            body = body.owner_id(self.open_id(owner))
            if list_owner and owner not in members:
                user_ids.insert(0, self.open_id(owner))
        if user_ids:
            body = body.user_id_list(user_ids)
        if pin_manage_setting is not None:
            body = body.pin_manage_setting(pin_manage_setting)
        req = CreateChatRequest.builder().user_id_type("open_id")
        if set_bot_manager is not None:
            req = req.set_bot_manager(set_bot_manager)
        if uuid is not None:
            req = req.uuid(uuid)
        request = req.request_body(body.build()).build()
        return self._retry(lambda: self.client.im.v1.chat.create(request, self.option(as_user)))

    def create_chat(self, **kwargs: Any) -> str:
        data = expect_ok(self.create_chat_request(**kwargs))
        return data.chat_id

    def get_chat(self, chat_id: str, as_user: str | None = None) -> Any:
        request = GetChatRequest.builder().chat_id(chat_id).user_id_type("open_id").build()
        return self.client.im.v1.chat.get(request, self.option(as_user))

    def dissolve(self, chat_id: str, as_user: str | None = None) -> Any:
        request = DeleteChatRequest.builder().chat_id(chat_id).build()
        return self.client.im.v1.chat.delete(request, self.option(as_user))

    def add_members(self, chat_id: str, user_ids: list[str], as_user: str | None = None) -> Any:
        request = (
            CreateChatMembersRequest.builder()
            .chat_id(chat_id)
            .member_id_type("open_id")
            .request_body(
                CreateChatMembersRequestBody.builder()
                .id_list([self.open_id(u) for u in user_ids])
                .build()
            )
            .build()
        )
        return self._retry(
            lambda: self.client.im.v1.chat_members.create(request, self.option(as_user))
        )

    def remove_members(
        self,
        chat_id: str,
        ids: list[str],
        member_id_type: str = "open_id",
        as_user: str | None = None,
    ) -> Any:
        request = (
            DeleteChatMembersRequest.builder()
            .chat_id(chat_id)
            .member_id_type(member_id_type)
            .request_body(DeleteChatMembersRequestBody.builder().id_list(ids).build())
            .build()
        )
        return self.client.im.v1.chat_members.delete(request, self.option(as_user))

    def remove_bot(self, chat_id: str, as_user: str) -> Any:
        return self.remove_members(chat_id, [self.app_id], member_id_type="app_id", as_user=as_user)

    def add_managers(self, chat_id: str, user_ids: list[str], as_user: str | None = None) -> Any:
        request = (
            AddManagersChatManagersRequest.builder()
            .chat_id(chat_id)
            .member_id_type("open_id")
            .request_body(
                AddManagersChatManagersRequestBody.builder()
                .manager_ids([self.open_id(u) for u in user_ids])
                .build()
            )
            .build()
        )
        return self.client.im.v1.chat_managers.add_managers(request, self.option(as_user))

    def send_request(
        self,
        receive_id: str,
        msg_type: str,
        content: str,
        *,
        receive_id_type: str = "chat_id",
        uuid: str | None = None,
        as_user: str | None = None,
        retry: bool = True,
    ) -> Any:
        """Send a message; with `retry`, wait out the 5-per-second group limit (230020)."""
        body = (
            CreateMessageRequestBody.builder()
            .receive_id(receive_id)
            .msg_type(msg_type)
            .content(content)
        )
        if uuid is not None:
            body = body.uuid(uuid)
        request = (
            CreateMessageRequest.builder()
            .receive_id_type(receive_id_type)
            .request_body(body.build())
            .build()
        )

        def send() -> Any:
            return self.client.im.v1.message.create(request, self.option(as_user))

        return self._retry(send) if retry else send()

    def send_text(self, chat_id: str, text: str = "hello", as_user: str | None = None) -> str:
        resp = self.send_request(chat_id, "text", json.dumps({"text": text}), as_user=as_user)
        return expect_ok(resp).message_id

    def send_texts(self, chat_id: str, count: int) -> list[str]:
        return [self.send_text(chat_id, f"message {i}") for i in range(count)]

    def recall(self, message_id: str, as_user: str | None = None) -> Any:
        request = DeleteMessageRequest.builder().message_id(message_id).build()
        return self.client.im.v1.message.delete(request, self.option(as_user))

    # ---- pins
    @staticmethod
    def _pin_request(message_id: str | None) -> CreatePinRequest:
        body = CreatePinRequestBody.builder()
        if message_id is not None:
            body = body.message_id(message_id)
        return CreatePinRequest.builder().request_body(body.build()).build()

    @staticmethod
    def _list_request(
        chat_id: str | None,
        page_size: int | None = None,
        page_token: str | None = None,
        start_time: str | None = None,
        end_time: str | None = None,
    ) -> ListPinRequest:
        req = ListPinRequest.builder()
        if chat_id is not None:
            req = req.chat_id(chat_id)
        if start_time is not None:
            req = req.start_time(start_time)
        if end_time is not None:
            req = req.end_time(end_time)
        if page_size is not None:
            req = req.page_size(page_size)
        if page_token is not None:
            req = req.page_token(page_token)
        return req.build()

    def pin(self, message_id: str | None, as_user: str | None = None) -> Any:
        return self.client.im.v1.pin.create(self._pin_request(message_id), self.option(as_user))

    async def apin(self, message_id: str, as_user: str | None = None) -> Any:
        return await self.client.im.v1.pin.acreate(
            self._pin_request(message_id), self.option(as_user)
        )

    def pin_ok(self, message_id: str, as_user: str | None = None) -> Any:
        return expect_ok(self.pin(message_id, as_user)).pin

    def unpin(self, message_id: str, as_user: str | None = None) -> Any:
        request = DeletePinRequest.builder().message_id(message_id).build()
        return self.client.im.v1.pin.delete(request, self.option(as_user))

    async def aunpin(self, message_id: str, as_user: str | None = None) -> Any:
        request = DeletePinRequest.builder().message_id(message_id).build()
        return await self.client.im.v1.pin.adelete(request, self.option(as_user))

    async def arecall(self, message_id: str, as_user: str | None = None) -> Any:
        request = DeleteMessageRequest.builder().message_id(message_id).build()
        return await self.client.im.v1.message.adelete(request, self.option(as_user))

    async def adissolve(self, chat_id: str, as_user: str | None = None) -> Any:
        request = DeleteChatRequest.builder().chat_id(chat_id).build()
        return await self.client.im.v1.chat.adelete(request, self.option(as_user))

    async def alist_pins(
        self, chat_id: str | None, as_user: str | None = None, **query: Any
    ) -> Any:
        request = self._list_request(chat_id, **query)
        return await self.client.im.v1.pin.alist(request, self.option(as_user))

    def list_pins(self, chat_id: str | None, as_user: str | None = None, **query: Any) -> Any:
        return self.client.im.v1.pin.list(
            self._list_request(chat_id, **query), self.option(as_user)
        )

    def all_pins(self, chat_id: str, as_user: str | None = None) -> list[Any]:
        """Every pin of the chat, following page tokens (page_size 50)."""
        pins: list[Any] = []
        token: str | None = None
        for _ in range(100):
            data = expect_ok(self.list_pins(chat_id, as_user, page_size=50, page_token=token))
            pins.extend(data.items or [])
            if not data.has_more:
                return pins
            token = data.page_token
        raise AssertionError("pin list never ended")

    def pinned_ids(self, chat_id: str, as_user: str | None = None) -> list[str]:
        return [p.message_id for p in self.all_pins(chat_id, as_user)]

    def chat_with_message(self, **chat_kwargs: Any) -> tuple[str, str]:
        chat_id = self.create_chat(**chat_kwargs)
        return chat_id, self.send_text(chat_id)

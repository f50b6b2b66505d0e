"""Feishu's replies as pydantic models, for its OpenAPI document (``openapi.py``): the shapes
``render.py`` writes (the live replies are checked against them, ``tests/e2e``), and the token
request, which ``auth.py`` reads by hand."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel

T = TypeVar("T")


class Reply(BaseModel):
    # Replies may carry more than is listed here; clients ignore what they do not know.
    model_config = ConfigDict(extra="allow")


class Ok(Reply, Generic[T]):
    code: Literal[0]
    msg: str
    data: T


class LogRef(Reply):
    log_id: str
    troubleshooter: str


class Failure(Reply):
    """Every business error: HTTP 400 (429 for the app's rate limit), ``code`` ≠ 0."""

    code: int
    msg: str
    error: LogRef | None = None


class Empty(Reply):
    pass


# Tokens: flat replies, failures on HTTP 200 (feishu.md §3).
class TokenBody(BaseModel):
    app_id: str = Field(pattern=r"^cli_[0-9a-f]{16}$")
    app_secret: str


class TenantToken(Reply):
    code: Literal[0]
    msg: str
    tenant_access_token: str
    expire: int = Field(description="Seconds left; the same token while 30 min or more remain.")


class AppToken(TenantToken):
    app_access_token: str


class TokenFailure(Reply):
    code: int
    msg: str


class TenantTokenReply(RootModel[TenantToken | TokenFailure]):
    pass


class AppTokenReply(RootModel[AppToken | TokenFailure]):
    pass


# Times are epoch milliseconds as decimal strings, as the vendor sends them.
class Pin(Reply):
    message_id: str
    chat_id: str
    operator_id: str
    operator_id_type: Literal["app_id", "open_id"]
    create_time: str


class PinData(Reply):
    pin: Pin


class PinPage(Reply):
    items: list[Pin]
    has_more: bool
    page_token: str | None = Field(default=None, description="Present only with has_more.")


class Sender(Reply):
    id: str
    id_type: Literal["app_id", "open_id"]
    sender_type: Literal["app", "user"]
    tenant_key: str


class MessageBody(Reply):
    content: str = Field(description="JSON text, as sent.")


class Message(Reply):
    message_id: str
    msg_type: str
    create_time: str
    update_time: str
    deleted: bool
    updated: bool
    chat_id: str
    sender: Sender
    body: MessageBody
    mentions: list[Any]


class MessageItems(Reply):
    items: list[Message]


class Chat(Reply):
    """A chat; an operator outside it sees only its name, avatar, counts and status."""

    chat_id: str | None = None
    name: str
    avatar: str
    description: str | None = None
    owner_id: str | None = Field(default=None, description="Absent when a bot owns the chat.")
    owner_id_type: str | None = None
    chat_mode: str | None = None
    chat_type: str | None = None
    add_member_permission: str | None = None
    share_card_permission: str | None = None
    edit_permission: str | None = None
    pin_manage_setting: Literal["only_owner", "all_members"] | None = None
    user_manager_id_list: list[str] | None = None
    bot_manager_id_list: list[str] | None = None
    tenant_key: str | None = None
    user_count: str
    bot_count: str
    chat_status: Literal["normal", "dissolved", "dissolved_save"]


class MembersAdded(Reply):
    invalid_id_list: list[str]
    not_existed_id_list: list[str]
    pending_approval_id_list: list[str]


class MembersRemoved(Reply):
    invalid_id_list: list[str]


class Member(Reply):
    member_id_type: str
    member_id: str
    name: str
    tenant_key: str


class MemberPage(Reply):
    items: list[Member]
    has_more: bool
    member_total: int
    page_token: str | None = None


class InChat(Reply):
    is_in_chat: bool


class Managers(Reply):
    chat_managers: list[str]
    chat_bot_managers: list[str]

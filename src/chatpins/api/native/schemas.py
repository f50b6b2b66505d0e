"""Request bodies and reply shapes of the native pin API (``docs/native.md``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from chatpins.api.bodies import Strict
from chatpins.core.services.pin_batches import MAX_OPERATIONS
from chatpins.intake import INT64_MAX

# The ids the native API hands out and accepts: 1-128 characters (core checks the set).
Id = Field(min_length=1, max_length=128)
RoleName = Literal["member", "admin", "owner"]
MAX_TTL_S = 365 * 24 * 3600
MAX_NOTE = 1024
MAX_TEXT = 16_384


class Permissions(Strict):
    pin: RoleName | None = None
    unpin_own: RoleName | None = None
    unpin_any: RoleName | None = None
    reorder: RoleName | None = None
    edit: RoleName | None = None


class PinPolicyBody(Strict):
    # ``null`` means no cap; leaving the key out keeps the current cap.
    max_pins: int | None = Field(default=None, ge=1, le=1000)
    overflow: Literal["reject", "evict_oldest", "evict_last"] | None = None
    permissions: Permissions | None = None


class UserCreate(Strict):
    id: str = Id
    name: str = Field(default="", max_length=512)


class ChatCreate(Strict):
    id: str | None = Field(default=None, min_length=1, max_length=128)
    name: str = Field(default="", max_length=512)
    owner: str | None = Field(default=None, min_length=1, max_length=128)
    members: list[str] = Field(default_factory=list, max_length=1000)
    pin_policy: PinPolicyBody | None = None


class ChatUpdate(Strict):
    name: str | None = Field(default=None, max_length=512)
    pin_policy: PinPolicyBody | None = None


class MemberAdd(Strict):
    user_id: str = Id
    role: Literal["member", "admin"] = "member"


class MessageSend(Strict):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    sender: str | None = Field(default=None, min_length=1, max_length=128)


class _Expiry(Strict):
    ttl_seconds: int | None = Field(default=None, ge=1, le=MAX_TTL_S)
    expires_at_ms: int | None = Field(default=None, ge=0, le=INT64_MAX)

    @model_validator(mode="after")
    def _one_way_to_say_when(self) -> _Expiry:
        if self.ttl_seconds is not None and self.expires_at_ms is not None:
            raise ValueError("give ttl_seconds or expires_at_ms, not both")
        return self

    def deadline(self, now_ms: int) -> int | None:
        """When the pin ends, as the server's clock reads ``now_ms``; None: never (or not
        given)."""
        if self.ttl_seconds is not None:
            return now_ms + self.ttl_seconds * 1000
        return self.expires_at_ms


class PinCreate(_Expiry):
    message_id: str = Id
    position: int = Field(default=0, ge=0, le=INT64_MAX)
    note: str = Field(default="", max_length=MAX_NOTE)
    must_read: bool = False
    # Later than now: a scheduled pin, invisible until then; ``ttl_seconds`` counts from it.
    starts_at_ms: int | None = Field(default=None, ge=0, le=INT64_MAX)

    def deadline(self, now_ms: int) -> int | None:
        start = self.starts_at_ms if self.starts_at_ms is not None else now_ms
        return super().deadline(max(now_ms, start))


class PinUpdate(_Expiry):
    note: str | None = Field(default=None, max_length=MAX_NOTE)
    must_read: bool | None = None


class BatchOperation(PinCreate):
    op: Literal["pin", "unpin"]


class PinBatch(Strict):
    operations: list[BatchOperation] = Field(min_length=1, max_length=MAX_OPERATIONS)
    expected_version: int | None = Field(default=None, ge=0, le=INT64_MAX)


class ConversationPinBody(_Expiry):
    # Among the user's own pins; left out: the top for a new pin, where it is for a pinned one.
    position: int | None = Field(default=None, ge=0, le=INT64_MAX)


class ConversationOrder(Strict):
    chat_ids: list[str] = Field(max_length=10_000)


class GlobalPinBody(Strict):
    position: int | None = Field(default=None, ge=0, le=INT64_MAX)


class AckBody(Strict):
    user_id: str | None = Field(default=None, min_length=1, max_length=128)


class PinOrder(Strict):
    message_ids: list[str] = Field(max_length=10_000)
    expected_version: int | None = Field(default=None, ge=0, le=INT64_MAX)


# Replies, for the OpenAPI document (the routes return the rendered dicts).


class Member(BaseModel):
    user_id: str
    role: RoleName


class PinPolicyReply(BaseModel):
    max_pins: int | None
    overflow: str
    permissions: dict[str, RoleName]


class ChatReply(BaseModel):
    id: str
    name: str
    owner: str | None
    dialect: str
    created_at_ms: int
    members: list[Member]
    pin_policy: PinPolicyReply
    version: int


class UserReply(BaseModel):
    id: str
    name: str
    is_bot: bool
    registered_at_ms: int


class MessageReply(BaseModel):
    id: str
    chat_id: str
    sender: str
    text: str
    created_at_ms: int


class AckCount(BaseModel):
    count: int
    of: int


class PinReply(BaseModel):
    message_id: str
    position: int
    pinned_by: str
    pinned_at_ms: int
    expires_at_ms: int | None
    starts_at_ms: int | None
    scheduled: bool
    note: str
    dialect: str
    must_read: bool
    acks: AckCount


class PinListReply(BaseModel):
    version: int
    pins: list[PinReply]


class PinCreated(BaseModel):
    pin: PinReply
    version: int
    evicted: list[str]


class PinEdited(BaseModel):
    pin: PinReply
    version: int


class VersionReply(BaseModel):
    version: int


class ErrorFields(BaseModel):
    code: str
    reason: str
    message: str


class BatchItem(BaseModel):
    message_id: str
    ok: bool
    pin: PinReply | None = None
    evicted: list[str] | None = None
    error: ErrorFields | None = None


class BatchReply(BaseModel):
    version: int
    results: list[BatchItem]


class AckReply(BaseModel):
    acks: AckCount


class AckedBy(BaseModel):
    user_id: str
    at_ms: int


class AcksReply(BaseModel):
    count: int
    of: int
    acked: list[AckedBy]
    pending: list[str]


class HistoryItem(BaseModel):
    id: int
    message_id: str
    action: str
    actor: str | None
    dialect: str
    at_ms: int
    reason: str
    version: int


class HistoryReply(BaseModel):
    items: list[HistoryItem]
    next_after: int | None


class ConversationItem(BaseModel):
    chat_id: str
    type: Literal["p2p", "group"]
    name: str
    pinned: Literal["global", "user"] | None
    position: int | None
    last_activity_ms: int
    pinned_at_ms: int | None
    expires_at_ms: int | None


class ConversationPage(BaseModel):
    items: list[ConversationItem]
    next_cursor: str | None


class ConversationPinned(BaseModel):
    chat_id: str
    position: int
    pinned_at_ms: int
    expires_at_ms: int | None
    pinned_order: list[str]


class PinnedOrder(BaseModel):
    pinned_order: list[str]


class GlobalPinReply(BaseModel):
    chat_id: str
    position: int
    pinned_at_ms: int
    pinned_by: str
    global_order: list[str]


class GlobalOrder(BaseModel):
    global_order: list[str]

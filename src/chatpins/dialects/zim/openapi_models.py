"""ZIM's bodies and replies as pydantic models, for its OpenAPI document alone
(``openapi.py``): the handlers check bodies field by field (``schemas.py``), so these describe
them; their limits are the handlers' constants."""

from __future__ import annotations

import string
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chatpins.dialects.zim import conversations, groups, messages, schemas, users

_ALNUM = set(string.ascii_letters + string.digits)


def id_pattern() -> str:
    """``schemas.ID_CHARS`` as a regular expression that ECMA-262 and Python read alike."""
    punctuation = "".join(
        "\\" + c if c in "\\]-^[" else c for c in sorted(schemas.ID_CHARS) if c not in _ALNUM
    )
    return f"^[A-Za-z0-9{punctuation}]{{1,{schemas.MAX_ID_BYTES}}}$"


ZimId = Annotated[str, Field(pattern=id_pattern(), description="1–32 bytes of ZIM's id set.")]


def _bytes(limit: int) -> Any:
    return Field(default="", description=f"At most {limit} UTF-8 bytes.")


def _one_of(values: Any, text: str = "") -> Any:
    return Field(json_schema_extra={"enum": sorted(values)}, description=text or None)


class Body(BaseModel):
    # Unknown fields are ignored (zim.md §1).
    model_config = ConfigDict(extra="allow")


class UserItem(Body):
    UserId: ZimId
    UserName: str = _bytes(users.MAX_NAME_BYTES)
    UserAvatar: str = _bytes(users.MAX_AVATAR_BYTES)


class UserRegisterBody(Body):
    UserInfo: list[UserItem] = Field(min_length=1, max_length=users.MAX_USERS)


class Attribute(Body):
    Key: str = Field(description="1–16 UTF-8 bytes.")
    Value: str = _bytes(1024)


class CreateGroupBody(Body):
    GroupOwner: ZimId
    GroupId: str = Field(default="", description="A ZimId not starting with `#`; empty: made.")
    GroupName: str = _bytes(50)
    GroupNotice: str = _bytes(300)
    GroupAvatar: str = _bytes(500)
    UserId: list[ZimId] = Field(default_factory=list, description="Members, owner aside (≤ 100).")
    Attributes: list[Attribute] = Field(default_factory=list, max_length=groups.MAX_ATTRIBUTES)
    CreateGroupTime: int = Field(default=0, ge=0, description="Epoch ms; 0: now.")


class GroupMemberInfo(Body):
    UserId: ZimId
    EnterGroupTime: int = Field(default=0, ge=0)
    IsInvite: Literal[0, 1] = 0


class InviteBody(Body):
    FromUserId: ZimId
    GroupId: ZimId
    UserIds: list[ZimId] = Field(default_factory=list, max_length=groups.MAX_MEMBERS)
    GroupMemberInfos: list[GroupMemberInfo] = Field(
        default_factory=list,
        max_length=groups.MAX_MEMBERS,
        description="When given, UserIds is not read.",
    )


class MessageContent(Body):
    Message: str = Field(
        min_length=1, description=f"At most {messages.MAX_MESSAGE_BYTES} UTF-8 bytes."
    )
    ExtendedData: str = _bytes(messages.MAX_EXTENDED_BYTES)
    OfflinePush: dict[str, Any] | None = None
    HasReceipt: Literal[0, 1] = 0
    IsBase64: Literal[0, 1] = 0


class _Message(Body):
    FromUserId: ZimId
    MessageType: int = _one_of(messages.MESSAGE_TYPES, "1 text, 2 command, 10–14 media, 200 custom")
    Priority: Literal[1, 2, 3]
    MessageBody: MessageContent
    SubMsgType: int = Field(default=0, ge=0, le=200, description="Custom messages only.")
    SearchedContent: str = Field(default="", description="Custom messages only; ≤ 64 bytes.")
    SendMsgOptions: dict[str, Any] | None = None


class SendPeerMessageBody(_Message):
    ToUserId: list[ZimId] = Field(min_length=1, max_length=messages.MAX_RECEIVERS)
    SenderUnaware: Literal[0, 1] = 0


class SendGroupMessageBody(_Message):
    GroupId: ZimId


class Conv(Body):
    ConvId: ZimId = Field(description="The peer's UserId (ConvType 0) or the GroupId (2).")
    ConvType: int = _one_of(conversations.CONV_TYPES, "0 one-on-one, 2 group")


class ConvPinnedBody(Body):
    FromUserId: ZimId
    ConvList: list[Conv] = Field(min_length=1, max_length=conversations.MAX_CONV_LIST)
    PinnedType: Literal[0, 1] = Field(description="1 pin, 0 unpin.")


class QueryConversationListBody(Body):
    FromUserId: ZimId
    Limit: int = Field(
        default=conversations.DEFAULT_LIMIT,
        description=f"≤ 0: {conversations.DEFAULT_LIMIT}; at most {conversations.MAX_LIMIT}.",
    )
    Next: int = Field(default=0, ge=0, description="0, then the reply's Next.")
    PinnedFirst: bool = Field(
        default=False, description="[chatpins extension] Pinned first, newest first."
    )


class Reply(BaseModel):
    """Every reply, success or not; the per-item lists are ``[]`` on a whole failure."""

    model_config = ConfigDict(extra="allow")
    Code: int
    Message: str
    RequestId: str


class UserFailure(BaseModel):
    UserId: str
    SubCode: int
    SubMessage: str | None = None


class UserRegisterReply(Reply):
    ErrorList: list[UserFailure] = []


class Member(BaseModel):
    UserId: str
    UserName: str


class CreateGroupReply(Reply):
    GroupId: str | None = None
    Members: list[Member] = []
    ErrorUsers: list[UserFailure] = []


class InviteReply(Reply):
    ErrorUsers: list[UserFailure] = []


class Sent(BaseModel):
    UserId: str
    MsgId: str
    MsgSeq: int


class SendPeerMessageReply(Reply):
    ErrorList: list[UserFailure] = []
    SuccList: list[Sent] = []
    AuditInfos: list[Any] = []


class SendGroupMessageReply(Reply):
    MsgId: int | None = None
    MsgSeq: int | None = None
    AuditInfos: list[Any] = []


class ConvFailure(BaseModel):
    ConvId: str
    ConvType: int
    SubCode: int
    SubMessage: str


class ConvPinnedReply(Reply):
    ErrorList: list[ConvFailure] = []


class ConvItem(BaseModel):
    ConvId: str
    ConvType: int
    UpdateTime: int
    IsPinned: bool = Field(description="[chatpins extension]")
    PinnedTime: int = Field(description="[chatpins extension] Epoch ms; 0 when not pinned.")


class QueryConversationListReply(Reply):
    TotalCount: int | None = None
    Next: int | None = None
    List: list[ConvItem] = []

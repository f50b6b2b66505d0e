"""IMKit's replies as pydantic models, for its OpenAPI document (``openapi.py``): the shapes
``render.py`` writes (the live replies are checked against them, ``tests/e2e``)."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Reply(BaseModel):
    # Replies may carry more than is listed here; clients ignore what they do not know.
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Ok(Reply, Generic[T]):
    RC: Literal[0]
    RM: str
    result: T


class ErrorDetail(Reply):
    code: str
    message: str
    retryAfter: int | None = Field(default=None, description="Seconds; with HTTP 429.")


class Failure(Reply):
    """Every error: the HTTP status is ``RC``."""

    RC: int
    RM: str
    error: ErrorDetail


# Times are 13-digit epoch milliseconds (``…MS``); ISO-8601 only where IMKit names them.
class User(Reply):
    id_: str = Field(alias="_id")
    id: str
    appID: str
    nickname: str
    avatarUrl: str
    isRobot: bool
    lastLoginTimeMS: int


class Client(User):
    updatedAt: str
    token: str | None = Field(default=None, description="When one was issued or bound.")
    expirationDate: str | None = None


class TokenBound(Reply):
    token: str
    client: str
    expirationDate: str
    expirationDateMS: int


class Revoked(Reply):
    revokedTokens: int


class Message(Reply):
    id_: str = Field(alias="_id")
    id: str
    appID: str
    room: str
    message: Any = Field(description="Any JSON, as sent.")
    messageType: str
    sender: User | str = Field(description="A user; its id alone from `POST /messages`.")
    pinned: bool
    messageTimeMS: int
    createdAtMS: int
    updatedAtMS: int


class MemberProperty(Reply):
    client: str
    badge: int
    lastRead: str | None


class Room(Reply):
    id_: str = Field(alias="_id")
    id: str
    appID: str
    name: str
    cover: str
    description: str
    roomType: Literal["group", "direct"]
    status: int
    roomTags: list[str]
    owner: str | None
    managers: list[str]
    members: list[User | str] = Field(description="Ids alone from `POST /rooms`.")
    memberProperties: list[MemberProperty]
    unread: int
    muted: bool
    isSuperuser: bool
    createdTimeMS: int
    lastMessage: Message | None = Field(default=None, description="Absent when none.")
    pinnedMessage: Message | None = Field(description="The room's one pinned message.")


class RoomPage(Reply):
    totalCount: int
    data: list[Room]


class MessagePage(Reply):
    totalCount: int
    data: list[Message]
    userDeletedIDs: list[str]

"""IMKit request bodies and query strings, as pydantic models.

Bodies are strict (``"name": 1`` is ``INVALID_BODY``, not a name); a required field that is
absent or empty is ``MISSING_PARAMETER``. Unknown fields are ignored: the SDKs send more than
chatpins reads (``webhook``, ``botMode``, ``extParams``, ``push``, ``invitationRequired``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chatpins.intake import INT64_MAX

# User and room ids travel in URL paths (``/rooms/:id``, ``/admin/clients/:id/token``).
URL_SAFE_ID = r"^[A-Za-z0-9_\-.@:+=]{1,128}$"


class Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", populate_by_name=True)


class Query(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ClientBody(Body):
    id: str = Field(alias="_id", min_length=1, max_length=128, pattern=URL_SAFE_ID)
    nickname: str | None = Field(default=None, max_length=255)
    avatarUrl: str | None = Field(default=None, max_length=2048)
    description: str | None = Field(default=None, max_length=2048)
    issueAccessToken: bool = False
    token: str | None = Field(default=None, min_length=1, max_length=512)
    expirationDate: str | None = None


class TokenBindBody(Body):
    token: str = Field(min_length=1, max_length=512)
    expirationDate: str | None = None


class TokenRevokeBody(Body):
    token: str | None = Field(default=None, min_length=1, max_length=512)


class RoomProfile(Body):
    """Fields shared by room create and update."""

    name: str | None = Field(default=None, max_length=255)
    cover: str | None = Field(default=None, max_length=2048)
    description: str | None = Field(default=None, max_length=4096)
    roomTags: list[str] | None = None


class RoomCreateBody(RoomProfile):
    id: str | None = Field(default=None, alias="_id", min_length=1, pattern=URL_SAFE_ID)
    roomType: Literal["group", "direct"] = "group"
    members: list[str] = Field(default_factory=list, max_length=1000)
    owner: str | None = Field(default=None, min_length=1, max_length=128)
    systemMessage: bool = False


class CreateAndJoinBody(RoomProfile):
    id: str | None = Field(default=None, alias="_id", min_length=1, pattern=URL_SAFE_ID)
    roomType: Literal["group", "direct"] = "group"
    invitee: str | list[str] | None = None
    systemMessage: bool = False


class RoomUpdateBody(RoomProfile):
    status: Literal[0, 1] | None = None
    opening: Literal[0, 1] | None = None
    owner: str | None = Field(default=None, min_length=1, max_length=128)
    managers: list[str] | None = Field(default=None, max_length=1000)


class InviteBody(Body):
    invitees: list[str] = Field(min_length=1, max_length=1000)
    systemMessage: bool = False


class JoinBody(Body):
    systemMessage: bool = True


class RemoveMembersBody(Body):
    members: list[str] = Field(min_length=1, max_length=1000)
    systemMessage: bool = False


class MemberPropertyBody(Body):
    property: str = Field(min_length=1, max_length=64)
    value: Any = None


class UserMessageBody(Body):
    id: str | None = Field(default=None, alias="_id", min_length=1, max_length=128)
    message: Any = None
    messageType: str | None = Field(default=None, min_length=1, max_length=32)
    mentions: list[str] | None = None


class PlatformMessageBody(Body):
    room: str = Field(min_length=1, max_length=128)
    sender: str = Field(min_length=1, max_length=128)
    message: Any = None
    messageType: str = Field(min_length=1, max_length=32)
    mentions: list[str] | None = None


class RoomListQuery(Query):
    skip: int = Field(default=0, ge=0, le=INT64_MAX)
    limit: int = Field(default=20, ge=1, le=INT64_MAX)


class MessageListQuery(Query):
    limit: int = Field(default=20, ge=1, le=INT64_MAX)
    beforeMessage: str | None = Field(default=None, min_length=1)
    afterMessage: str | None = Field(default=None, min_length=1)
    afterTime: str | None = Field(default=None, min_length=1)
    timeRangeField: Literal["updatedAt", "createdAt", "messageTime"] = "messageTime"
    sortOrder: Literal["desc", "asc"] = "desc"

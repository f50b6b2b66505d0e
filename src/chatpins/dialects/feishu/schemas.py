"""Feishu request bodies and query strings, as pydantic models.

Bodies are strict (``"message_id": 123`` is an invalid parameter, not a string); query values
arrive as text, so those models coerce, and booleans accept ``True``/``true`` alike (lark-oapi
sends ``str(True)``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from chatpins.intake import INT64_MAX

UserIdType = Literal["open_id", "union_id", "user_id"]
Setting = Literal["only_owner", "all_members"]


def _bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


QueryBool = Annotated[bool, BeforeValidator(_bool)]


class Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class Query(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PinBody(Body):
    message_id: str = Field(min_length=1, max_length=128)


class PinListQuery(Query):
    chat_id: str = Field(min_length=1)
    start_time: int | None = Field(default=None, ge=0, le=INT64_MAX)
    end_time: int | None = Field(default=None, ge=0, le=INT64_MAX)
    page_size: int = Field(default=20, ge=1, le=50)
    page_token: str | None = None


class I18nNames(Body):
    zh_cn: str | None = None
    en_us: str | None = None
    ja_jp: str | None = None


class ChatSettings(Body):
    """Fields shared by chat create and update."""

    avatar: str | None = None
    name: str | None = Field(default=None, max_length=60)
    description: str | None = Field(default=None, max_length=100)
    i18n_names: I18nNames | None = None
    owner_id: str | None = None
    add_member_permission: Setting | None = None
    share_card_permission: Literal["allowed", "not_allowed"] | None = None
    at_all_permission: Setting | None = None
    edit_permission: Setting | None = None
    chat_type: Literal["private", "public"] | None = None
    group_message_type: Literal["chat", "thread"] | None = None
    join_message_visibility: Literal["only_owner", "all_members", "not_anyone"] | None = None
    leave_message_visibility: Literal["only_owner", "all_members", "not_anyone"] | None = None
    membership_approval: Literal["no_approval_required", "approval_required"] | None = None
    urgent_setting: Setting | None = None
    video_conference_setting: Setting | None = None
    hide_member_count_setting: Setting | None = None
    pin_manage_setting: Setting | None = None
    restricted_mode_setting: dict[str, Any] | None = None
    labels: list[str] | None = None
    toolkit_ids: list[str] | None = None


class ChatCreateBody(ChatSettings):
    user_id_list: list[str] = Field(default_factory=list, max_length=50)
    bot_id_list: list[str] = Field(default_factory=list, max_length=5)
    chat_mode: Literal["group"] | None = None
    chat_tags: list[Any] | None = None
    external: bool | None = None


class ChatCreateQuery(Query):
    user_id_type: UserIdType = "open_id"
    set_bot_manager: QueryBool = False
    uuid: str | None = Field(default=None, max_length=50)


class UserIdTypeQuery(Query):
    user_id_type: UserIdType = "open_id"


class MemberIdTypeQuery(Query):
    member_id_type: Literal["open_id", "union_id", "user_id", "app_id"] = "open_id"
    succeed_type: int = Field(default=0, ge=0, le=2)


class MemberListQuery(Query):
    member_id_type: UserIdType = "open_id"
    page_size: int = Field(default=20, ge=1, le=100)
    page_token: str | None = None


class IdListBody(Body):
    id_list: list[str] = Field(default_factory=list, max_length=50)


class ManagersBody(Body):
    manager_ids: list[str] = Field(min_length=1, max_length=50)


class MessageCreateQuery(Query):
    receive_id_type: Literal["open_id", "union_id", "user_id", "email", "chat_id"]


class MessageCreateBody(Body):
    receive_id: str = Field(min_length=1)
    msg_type: str = Field(min_length=1)
    content: str
    uuid: str | None = Field(default=None, max_length=50)

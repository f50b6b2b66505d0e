"""The declared-state file format: pydantic models, strict (no coercion: ``"3"`` is not a
number, ``3`` is not a string) and closed (an unknown key is an error, so a typo never passes
silently). ``declared_state.schema.json`` beside this module is generated from them
(``python -m chatpins.declared``); a unit test keeps the two equal.

What each part means and what applying it does is in ``docs/testing.md`` ("Declared state")
and ``chatpins.core.services.declared_state``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from chatpins.core.entities import MAX_TIME_MS
from chatpins.core.identity import is_url_safe_id, is_valid_id
from chatpins.intake import Unreadable, check_value, storable

FORMAT_VERSION: Literal[1] = 1
MAX_RATE = 1_000_000
MAX_CONVERSATION_PIN_CAP = 10_000
MAX_PINS = 1000
UINT32_MAX = 2**32 - 1


def _printable_id(value: str) -> str:
    if not is_valid_id(value):
        raise ValueError("an id is 1-128 printable characters")
    return value


def _url_safe_id(value: str) -> str:
    if not is_url_safe_id(value):
        raise ValueError("an app id is 1-64 of A-Z a-z 0-9 _ - . @ : + =")
    return value


def _storable(value: str) -> str:
    if not storable(value):
        raise ValueError("text holds a character no database can store (NUL, a lone surrogate)")
    return value


def _json_object(value: dict[str, Any]) -> dict[str, Any]:
    try:
        check_value(value)
    except Unreadable as exc:
        raise ValueError(exc.message) from exc
    return value


def _trimmed(value: str) -> str:
    # IMKit's auth strips its headers: a key with spaces around it could never be sent.
    if value != value.strip():
        raise ValueError("no spaces around a key")
    return value


Id = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_printable_id)]
AppId = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_url_safe_id)]
Text = Annotated[str, AfterValidator(_storable)]
Key = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_trimmed)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Millis = Annotated[int, Field(ge=0, le=MAX_TIME_MS)]
Role = Literal["owner", "admin", "member"]
Dialect = Literal["feishu", "imkit", "zim", "native"]
Permission = Literal["members", "owner_admins"]


class Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def _at_most_one(model: BaseModel, *names: str) -> None:
    given = [n for n in names if getattr(model, n) is not None]
    if len(given) > 1:
        raise ValueError(f"give {' or '.join(names)}, not both")


# --------------------------------------------------------------------------- credentials


class FeishuCredentials(Model):
    """Left out: kept (a new app gets a generated one, printed once by ``chatpins load``)."""

    app_id: str | None = Field(
        default=None,
        pattern=r"^cli_[0-9a-f]{16}$",
        description="cli_ and 16 hex digits (the form Feishu's token endpoint accepts); also "
        "the user id of the app's bot, so it cannot change once the app exists",
    )
    app_secret: Key | None = None
    app_secret_sha256: Sha256 | None = Field(
        default=None, description="The stored hash of the secret, as `chatpins dump` writes it"
    )

    @model_validator(mode="after")
    def _one_secret(self) -> FeishuCredentials:
        _at_most_one(self, "app_secret", "app_secret_sha256")
        return self


class ImkitCredentials(Model):
    client_key: Key | None = None
    api_key: Key | None = None
    api_key_sha256: Sha256 | None = None

    @model_validator(mode="after")
    def _one_key(self) -> ImkitCredentials:
        _at_most_one(self, "api_key", "api_key_sha256")
        return self


class ZimCredentials(Model):
    app_id: int | None = Field(default=None, ge=1, le=UINT32_MAX)
    server_secret: Key | None = Field(default=None, max_length=64)


class NativeCredentials(Model):
    api_key: Key | None = None
    api_key_sha256: Sha256 | None = None

    @model_validator(mode="after")
    def _one_key(self) -> NativeCredentials:
        _at_most_one(self, "api_key", "api_key_sha256")
        return self


# --------------------------------------------------------------------------- pin rules


class PinPermissions(Model):
    """The lowest role allowed each pin right; a right left out keeps the default."""

    pin: Role | None = None
    unpin_own: Role | None = None
    unpin_any: Role | None = None
    reorder: Role | None = None
    edit: Role | None = None


class PinPolicy(Model):
    """Overrides of the defaults; a key left out keeps the default (``max_pins: null``: no
    cap)."""

    max_pins: int | None = Field(default=None, ge=1, le=MAX_PINS)
    overflow: Literal["reject", "evict_oldest", "evict_last"] | None = None
    permissions: PinPermissions | None = None


# --------------------------------------------------------------------------- app contents


class ConversationPin(Model):
    chat: Id
    expires_at_ms: Millis | None = None


class User(Model):
    id: Id
    name: Text = Field(default="", max_length=512, description="Empty: the id")
    avatar: Text = ""
    is_bot: bool = False
    conversation_pins: list[ConversationPin] = Field(
        default_factory=list,
        description="The chats pinned to the top of the user's conversation list, the top "
        "first; exactly these",
    )


class Member(Model):
    user: Id
    role: Role = "member"


class Message(Model):
    id: Id
    sender: Id
    type: str = Field(default="text", min_length=1, max_length=32)
    text: Text | None = Field(
        default=None, description='Shorthand for content {"text": …}, as every dialect stores text'
    )
    content: Text | None = Field(default=None, description="Stored as given")
    created_at_ms: Millis | None = Field(
        default=None, description="Left out: the load's time for a new message"
    )

    @model_validator(mode="after")
    def _one_body(self) -> Message:
        if (self.text is None) == (self.content is None):
            raise ValueError("give text or content (one of them)")
        return self


class Pin(Model):
    message: Id
    pinned_by: Id
    note: Text = Field(default="", max_length=1024)
    must_read: bool = False
    expires_at_ms: Millis | None = None
    pinned_at_ms: Millis | None = Field(
        default=None, description="Left out: the load's time for a new pin"
    )


class Chat(Model):
    id: Id
    type: Literal["group", "p2p"] = "group"
    dialect: Dialect = Field(
        description="The dialect that made the chat: its pin policy, permissions and limits "
        "default to that vendor's"
    )
    name: Text = Field(default="", max_length=512)
    description: Text = ""
    creator: Id | None = Field(default=None, description="Left out: the owner, else the bot")
    pin_policy: PinPolicy | None = None
    edit_permission: Permission | None = None
    add_member_permission: Permission | None = None
    attributes: Annotated[dict[str, Any], AfterValidator(_json_object)] = Field(
        default_factory=dict, description="Dialect settings the chat shows back unchanged"
    )
    members: list[Member] = Field(
        default_factory=list, description="Exactly these, with these roles (one owner at most)"
    )
    messages: list[Message] = Field(
        default_factory=list, description="Created or changed; never deleted"
    )
    pins: list[Pin] = Field(default_factory=list, description="Exactly these, the top first")


class Settings(Model):
    """Each left out takes its default (what a new app has)."""

    bot_enabled: bool = True
    pin_scope_granted: bool = True
    unavailable_user_ids: list[Id] = Field(default_factory=list)
    api_rate_per_second: int = Field(default=50, ge=0, le=MAX_RATE)
    api_rate_per_minute: int = Field(default=1000, ge=0, le=MAX_RATE)
    message_rate_per_second: int = Field(default=5, ge=0, le=MAX_RATE)
    zim_rate_limits: bool = True
    conversation_pin_cap: int = Field(default=100, ge=1, le=MAX_CONVERSATION_PIN_CAP)
    native_pin_policy: PinPolicy | None = Field(
        default=None, description="What chats of dialect native start with"
    )


class App(Model):
    id: AppId
    name: str = Field(min_length=1, max_length=255)
    feishu: FeishuCredentials = FeishuCredentials()
    imkit: ImkitCredentials = ImkitCredentials()
    zim: ZimCredentials = ZimCredentials()
    native: NativeCredentials = NativeCredentials()
    settings: Settings = Settings()
    users: list[User] = Field(default_factory=list)
    chats: list[Chat] = Field(default_factory=list)


class DeclaredFile(Model):
    """A chatpins declared-state file (YAML or JSON)."""

    model_config = ConfigDict(
        title="chatpins declared state", populate_by_name=True, serialize_by_alias=True
    )

    schema_: str | None = Field(default=None, alias="$schema")
    version: Literal[1] = FORMAT_VERSION
    apps: list[App] = Field(min_length=1)


def schema_text() -> str:
    """``declared_state.schema.json`` as shipped: the schema, two-space indented."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the format (what ``declared_state.schema.json`` holds)."""
    schema = DeclaredFile.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}

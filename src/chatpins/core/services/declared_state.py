"""Declared state: apps with fixed credentials, their users, chats, members, messages and pins,
as a team declares them in a file next to its tests, made true in one unit of work.

What applying means:
- It is idempotent: applying what is already there writes nothing, no row and no event.
- What a declaration says about an entity is exact: a declared chat has exactly the declared
  members (with their roles) and pins (in their order), a declared user exactly the declared
  conversation pins, a declared app exactly the declared settings (omitted ones at their
  defaults). An entity that exists with other fields is changed to the declared ones, through
  the same history rows and events any change writes (who acts: the message's sender, the pin's
  ``pinned_by``, else the app's bot as the platform). Two changes are refused instead, since
  nothing could carry them out: a chat's type or dialect, and an app's Feishu app id (the id of
  the app's bot user, which every chat of the app names).
- What it does not declare it leaves alone: other apps, users and chats, and messages (history:
  a declared message is created or changed, never deleted).
- All or nothing: every declared app of one call is applied in one unit of work, so a refusal
  anywhere (the last pin over its chat's cap, say) leaves nothing written. A refusal names where
  in the declaration it lies (``DeclarationRefused.path``).

The shape of a declaration is the wire format's (``chatpins.declared``), with each chat's rules
already resolved from its dialect's defaults: core never looks at a dialect's name.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from chatpins.core.entities import (
    App,
    ChatKind,
    JsonObject,
    Overflow,
    Permission,
    PinRights,
    Role,
)
from chatpins.core.identity import hash_secret, is_valid_id
from chatpins.core.services import apps as app_service

Path = tuple[str | int, ...]


class DeclarationRefused(Exception):
    """A declaration that cannot be applied: where in it (``path``, e.g. ``("apps", 0,
    "chats", 2, "pins", 1, "message")``) and why. Nothing of it was written."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{format_path(path)}: {message}" if path else message)
        self.path = path
        self.message = message


def format_path(path: Path) -> str:
    """``apps[0].chats[2].pins[1].message``: keys joined by dots, list indexes in brackets."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


# --------------------------------------------------------------------------- the declaration


@dataclass(frozen=True)
class Secret:
    """A credential kept only as its hash: declared in clear, or as the hash a dump wrote (so
    a dump loaded elsewhere keeps the same secret working). Neither: the app keeps its current
    one (a new app gets a fresh one, reported once)."""

    value: str | None = None
    sha256: str | None = None

    @property
    def hashed(self) -> str | None:
        return hash_secret(self.value) if self.value is not None else self.sha256


@dataclass(frozen=True)
class FeishuCredentials:
    app_id: str | None = None  # cli_ + 16 hex; also the id of the app's bot user
    app_secret: Secret = Secret()


@dataclass(frozen=True)
class ImkitCredentials:
    client_key: str | None = None
    api_key: Secret = Secret()


@dataclass(frozen=True)
class ZimCredentials:
    app_id: int | None = None
    server_secret: str | None = None  # kept in clear: ZIM signatures need it


@dataclass(frozen=True)
class NativeCredentials:
    api_key: Secret = Secret()


@dataclass(frozen=True)
class DeclaredConversationPin:
    chat: str
    expires_at: int | None = None


@dataclass(frozen=True)
class DeclaredUser:
    id: str
    name: str = ""  # empty: the id (as ``new_user`` names a nameless user)
    avatar: str = ""
    is_bot: bool = False
    conversation_pins: tuple[DeclaredConversationPin, ...] = ()  # in order, the top first


@dataclass(frozen=True)
class DeclaredMember:
    user: str
    role: Role = Role.MEMBER


@dataclass(frozen=True)
class DeclaredMessage:
    id: str
    sender: str
    content: str
    type: str = "text"
    created_at: int | None = None  # None: now, for a new message; kept, for an existing one


@dataclass(frozen=True)
class DeclaredPin:
    message: str
    pinned_by: str
    note: str = ""
    expires_at: int | None = None
    pinned_at: int | None = None  # None: now, for a new pin; kept, for an existing one
    must_read: bool = False


@dataclass(frozen=True)
class ChatRules:
    """A chat's rules, as its dialect's defaults and the declaration's overrides make them."""

    pin_rights: PinRights
    max_pins: int | None
    overflow: Overflow
    transfer_role: Role = Role.OWNER  # a new chat's only: no declaration names it
    edit_permission: Permission = Permission.MEMBERS
    add_member_permission: Permission = Permission.MEMBERS


@dataclass(frozen=True)
class DeclaredChat:
    id: str
    kind: ChatKind
    dialect: str  # whose limits the chat carries (``register_chat_limits``), and its events'
    rules: ChatRules
    name: str = ""
    description: str = ""
    creator: str | None = None  # None: its owner, else the app's bot
    attributes: JsonObject = field(default_factory=dict)
    members: tuple[DeclaredMember, ...] = ()  # at most one owner
    messages: tuple[DeclaredMessage, ...] = ()
    pins: tuple[DeclaredPin, ...] = ()  # in order, the top first

    @property
    def owner(self) -> str | None:
        return next((m.user for m in self.members if m.role is Role.OWNER), None)


# The settings an app may declare: every configurable one but the name (``App`` holds their
# defaults, which an omitted setting takes).
SETTINGS = tuple(key for key in app_service.CONFIGURABLE if key != "name")


def default_settings() -> JsonObject:
    """What an app that declares no settings has: ``App``'s own defaults."""
    defaults = {f.name: f for f in dataclasses.fields(App)}
    values: JsonObject = {}
    for key in SETTINGS:
        spec = defaults[key]
        factory = spec.default_factory
        values[key] = factory() if factory is not dataclasses.MISSING else spec.default
    return values


@dataclass(frozen=True)
class DeclaredApp:
    id: str
    name: str
    settings: JsonObject = field(default_factory=default_settings)  # every key of SETTINGS
    feishu: FeishuCredentials = FeishuCredentials()
    imkit: ImkitCredentials = ImkitCredentials()
    zim: ZimCredentials = ZimCredentials()
    native: NativeCredentials = NativeCredentials()
    users: tuple[DeclaredUser, ...] = ()
    chats: tuple[DeclaredChat, ...] = ()


@dataclass(frozen=True)
class DeclaredState:
    apps: tuple[DeclaredApp, ...] = ()


# --------------------------------------------------------------------------- shape


def check_shape(state: DeclaredState) -> None:
    """What a declaration must satisfy before anything is read: ids usable and unique where
    they must be, one owner per chat, two members per one-on-one chat."""
    _unique(("apps",), [a.id for a in state.apps], "app id")
    credentials: list[tuple[Path, str, Any]] = [
        (("feishu", "app_id"), "Feishu app id", lambda a: a.feishu.app_id),
        (("imkit", "client_key"), "IMKit client key", lambda a: a.imkit.client_key),
        (("zim", "app_id"), "ZIM AppId", lambda a: a.zim.app_id),
    ]
    for where, what, read in credentials:
        seen: dict[Any, int] = {}
        for index, app in enumerate(state.apps):
            value = read(app)
            if value is not None and value in seen:
                raise DeclarationRefused(
                    ("apps", index, *where), f"{what} also declared by apps[{seen[value]}]"
                )
            seen.setdefault(value, index)
    for index, app in enumerate(state.apps):
        _check_app(app, ("apps", index))


def _check_app(app: DeclaredApp, at: Path) -> None:
    _check_id((*at, "id"), app.id)
    if set(app.settings) != set(SETTINGS):
        raise DeclarationRefused((*at, "settings"), f"expected exactly {', '.join(SETTINGS)}")
    _unique((*at, "users"), [u.id for u in app.users], "user id")
    for index, user in enumerate(app.users):
        _check_id((*at, "users", index, "id"), user.id)
        pinned = [p.chat for p in user.conversation_pins]
        _unique((*at, "users", index, "conversation_pins"), pinned, "pin", key="chat")
    _unique((*at, "chats"), [c.id for c in app.chats], "chat id")
    declared_in: dict[str, int] = {}  # message id -> the chat declaring it
    for index, chat in enumerate(app.chats):
        chat_at = (*at, "chats", index)
        _check_chat(chat, chat_at)
        for m_index, message in enumerate(chat.messages):
            where = (*chat_at, "messages", m_index, "id")
            _check_id(where, message.id)
            if message.id in declared_in:
                raise DeclarationRefused(
                    where,
                    f"message id '{message.id}' also declared in chats[{declared_in[message.id]}]",
                )
            declared_in[message.id] = index


def _check_chat(chat: DeclaredChat, at: Path) -> None:
    _check_id((*at, "id"), chat.id)
    _unique((*at, "members"), [m.user for m in chat.members], "member", key="user")
    owners = [i for i, m in enumerate(chat.members) if m.role is Role.OWNER]
    if len(owners) > 1:
        raise DeclarationRefused((*at, "members", owners[1], "role"), "a chat has one owner")
    if chat.kind is ChatKind.P2P and len(chat.members) != 2:
        raise DeclarationRefused((*at, "members"), "a p2p chat has exactly two members")
    _unique((*at, "pins"), [p.message for p in chat.pins], "pin of message", key="message")


def _check_id(at: Path, value: str) -> None:
    if not is_valid_id(value):
        raise DeclarationRefused(at, "an id is 1-128 printable characters")


def _unique(at: Path, values: list[str], what: str, *, key: str = "id") -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise DeclarationRefused((*at, index, key), f"duplicate {what} '{value}'")
        seen.add(value)

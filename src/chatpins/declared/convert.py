"""Between the file format (``schema``) and core's declaration (``declared_state``).

A chat's rules are resolved here, from the defaults of the dialect that made it (as each
dialect's own create call sets them) and the file's overrides; a dump writes only what differs
from those defaults, so a dumped chat reads like a hand-written one.
"""

from __future__ import annotations

import json
from typing import Any, cast

from chatpins.api.native.chats import app_pin_policy
from chatpins.api.native.schemas import PinPolicyBody
from chatpins.core.entities import ChatKind, Overflow, Permission, PinRight, PinRights, Role
from chatpins.core.services import declared_state as core
from chatpins.core.services.chats import PinPolicy, PinPolicyChange
from chatpins.declared import schema
from chatpins.dialects.feishu.render import PIN_RIGHTS as FEISHU_PIN_RIGHTS
from chatpins.dialects.zim.groups import ZIM_MAX_PINS

# The rules a chat starts with when its dialect makes it, by (dialect, type); native groups
# start with the app's own default policy (``native_pin_policy``) instead.
_P2P = core.ChatRules(PinRights(), None, Overflow.REJECT)  # ``chats.p2p_spec``: any dialect
_DEFAULTS: dict[tuple[str, ChatKind], core.ChatRules] = {
    # Feishu ``pin_manage_setting: all_members``; owner, managers and the creating bot may
    # hand the chat over.
    ("feishu", ChatKind.GROUP): core.ChatRules(
        FEISHU_PIN_RIGHTS["all_members"], None, Overflow.REJECT, transfer_role=Role.ADMIN
    ),
    ("feishu", ChatKind.P2P): _P2P,
    # IMKit (``dialects/imkit/rooms.py``): one pin per room, a new one replaces it; owner and
    # admins pin and edit a group room, either member a direct room.
    ("imkit", ChatKind.GROUP): core.ChatRules(
        PinRights.every(Role.ADMIN),
        1,
        Overflow.EVICT_OLDEST,
        edit_permission=Permission.OWNER_ADMINS,
    ),
    ("imkit", ChatKind.P2P): core.ChatRules(PinRights.every(Role.MEMBER), 1, Overflow.EVICT_OLDEST),
    # ZIM groups: ten message pins, the eleventh evicts the oldest.
    ("zim", ChatKind.GROUP): core.ChatRules(PinRights(), ZIM_MAX_PINS, Overflow.EVICT_OLDEST),
    ("zim", ChatKind.P2P): _P2P,
    ("native", ChatKind.P2P): _P2P,
}


class Undeclarable(Exception):
    """Something a dump meets that the format cannot say (a chat of another dialect)."""


def default_rules(
    dialect: str, kind: ChatKind, native_pin_policy: dict[str, Any] | None
) -> core.ChatRules:
    """What a chat of ``dialect`` and ``kind`` starts with when that dialect makes it."""
    if (dialect, kind) == ("native", ChatKind.GROUP):
        policy = app_pin_policy(native_pin_policy)
        # Renaming and adding members are the managers' (``api/native/chats.py``).
        return core.ChatRules(
            policy.rights,
            policy.max_pins,
            policy.overflow,
            edit_permission=Permission.OWNER_ADMINS,
            add_member_permission=Permission.OWNER_ADMINS,
        )
    found = _DEFAULTS.get((dialect, kind))
    if found is None:
        raise Undeclarable(f"no declared chat can have dialect '{dialect}'")
    return found


# --------------------------------------------------------------------------- file -> core


def to_core(declared: schema.DeclaredFile) -> core.DeclaredState:
    return core.DeclaredState(tuple(_app(app) for app in declared.apps))


def _app(app: schema.App) -> core.DeclaredApp:
    settings = app.settings.model_dump(exclude={"native_pin_policy"})
    policy = app.settings.native_pin_policy
    # Stored in the native API's spelling, the keys given only (as ``PATCH /v1/apps`` does).
    settings["native_pin_policy"] = (
        policy.model_dump(exclude_unset=True, exclude_none=False) if policy is not None else None
    )
    return core.DeclaredApp(
        id=app.id,
        name=app.name,
        settings=settings,
        feishu=core.FeishuCredentials(
            app.feishu.app_id, core.Secret(app.feishu.app_secret, app.feishu.app_secret_sha256)
        ),
        imkit=core.ImkitCredentials(
            app.imkit.client_key, core.Secret(app.imkit.api_key, app.imkit.api_key_sha256)
        ),
        zim=core.ZimCredentials(app.zim.app_id, app.zim.server_secret),
        native=core.NativeCredentials(core.Secret(app.native.api_key, app.native.api_key_sha256)),
        users=tuple(_user(u) for u in app.users),
        chats=tuple(_chat(c, settings["native_pin_policy"]) for c in app.chats),
    )


def _user(user: schema.User) -> core.DeclaredUser:
    return core.DeclaredUser(
        id=user.id,
        name=user.name,
        avatar=user.avatar,
        is_bot=user.is_bot,
        conversation_pins=tuple(
            core.DeclaredConversationPin(p.chat, p.expires_at_ms) for p in user.conversation_pins
        ),
    )


def _chat(chat: schema.Chat, native_pin_policy: dict[str, Any] | None) -> core.DeclaredChat:
    kind = ChatKind(chat.type)
    return core.DeclaredChat(
        id=chat.id,
        kind=kind,
        dialect=chat.dialect,
        rules=_rules(chat, default_rules(chat.dialect, kind, native_pin_policy)),
        name=chat.name,
        description=chat.description,
        creator=chat.creator,
        attributes=dict(chat.attributes),
        members=tuple(core.DeclaredMember(m.user, Role(m.role)) for m in chat.members),
        messages=tuple(_message(m) for m in chat.messages),
        pins=tuple(
            core.DeclaredPin(
                p.message, p.pinned_by, p.note, p.expires_at_ms, p.pinned_at_ms, p.must_read
            )
            for p in chat.pins
        ),
    )


def _rules(chat: schema.Chat, defaults: core.ChatRules) -> core.ChatRules:
    given = chat.pin_policy
    policy = PinPolicy(defaults.max_pins, defaults.overflow, defaults.pin_rights)
    if given is not None:
        rights = given.permissions.model_dump(exclude_none=True) if given.permissions else {}
        policy = PinPolicyChange(
            max_pins=given.max_pins,
            clear_max_pins="max_pins" in given.model_fields_set and given.max_pins is None,
            overflow=Overflow(given.overflow) if given.overflow is not None else None,
            rights={right: Role(role) for right, role in rights.items()},
        ).applied_to(policy)
    return core.ChatRules(
        pin_rights=policy.rights,
        max_pins=policy.max_pins,
        overflow=policy.overflow,
        transfer_role=defaults.transfer_role,
        edit_permission=_permission(chat.edit_permission, defaults.edit_permission),
        add_member_permission=_permission(
            chat.add_member_permission, defaults.add_member_permission
        ),
    )


def _permission(given: str | None, default: Permission) -> Permission:
    return default if given is None else Permission(given)


def _message(message: schema.Message) -> core.DeclaredMessage:
    content = message.content
    if message.text is not None:
        content = text_content(message.text)
    assert content is not None  # the model requires text or content
    return core.DeclaredMessage(
        message.id, message.sender, content, message.type, message.created_at_ms
    )


def text_content(text: str) -> str:
    """A text message's stored content, as every dialect writes it (``{"text": …}``)."""
    return json.dumps({"text": text}, ensure_ascii=False)


# --------------------------------------------------------------------------- core -> file


def to_file(app: core.DeclaredApp) -> schema.DeclaredFile:
    return schema.DeclaredFile(version=schema.FORMAT_VERSION, apps=[_file_app(app)])


def _file_app(app: core.DeclaredApp) -> schema.App:
    stored_policy = app.settings["native_pin_policy"]
    settings = {k: v for k, v in app.settings.items() if k != "native_pin_policy"}
    if stored_policy is not None:
        settings["native_pin_policy"] = schema.PinPolicy.model_validate(
            PinPolicyBody.model_validate(stored_policy).model_dump(exclude_unset=True)
        )
    given = _not_default(schema.Settings, settings)
    values: dict[str, Any] = {
        "settings": schema.Settings(**given) if given else None,
        "users": [_file_user(u) for u in app.users],
        "chats": [_file_chat(c, stored_policy, app.feishu.app_id) for c in app.chats],
    }
    return schema.App(
        id=app.id,
        name=app.name,
        feishu=schema.FeishuCredentials(
            **_given(app_id=app.feishu.app_id, app_secret_sha256=app.feishu.app_secret.sha256)
        ),
        imkit=schema.ImkitCredentials(
            **_given(client_key=app.imkit.client_key, api_key_sha256=app.imkit.api_key.sha256)
        ),
        zim=schema.ZimCredentials(
            **_given(app_id=app.zim.app_id, server_secret=app.zim.server_secret)
        ),
        native=schema.NativeCredentials(**_given(api_key_sha256=app.native.api_key.sha256)),
        **{k: v for k, v in values.items() if v},
    )


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _not_default(model: type[schema.Model], values: dict[str, Any]) -> dict[str, Any]:
    """The values that differ from the model's defaults: what a dump needs to write."""
    fields = model.model_fields
    return {
        k: v for k, v in values.items() if v != fields[k].get_default(call_default_factory=True)
    }


def _file_user(user: core.DeclaredUser) -> schema.User:
    pins = [
        schema.ConversationPin(chat=p.chat, **_given(expires_at_ms=p.expires_at))
        for p in user.conversation_pins
    ]
    values = {
        "name": user.name,
        "avatar": user.avatar,
        "is_bot": user.is_bot,
        "conversation_pins": pins,
    }
    return schema.User(id=user.id, **_not_default(schema.User, values))


def _file_chat(
    chat: core.DeclaredChat, native_pin_policy: dict[str, Any] | None, bot_id: str | None
) -> schema.Chat:
    defaults = default_rules(chat.dialect, chat.kind, native_pin_policy)
    implied_creator = chat.owner or bot_id
    values: dict[str, Any] = {
        "type": chat.kind.value,
        "name": chat.name,
        "description": chat.description,
        "creator": None if chat.creator == implied_creator else chat.creator,
        "pin_policy": _file_policy(chat.rules, defaults),
        "edit_permission": _differing(chat.rules.edit_permission, defaults.edit_permission),
        "add_member_permission": _differing(
            chat.rules.add_member_permission, defaults.add_member_permission
        ),
        "attributes": chat.attributes,
        "members": [
            schema.Member(user=m.user, **_not_default(schema.Member, {"role": m.role.value}))
            for m in chat.members
        ],
        "messages": [_file_message(m) for m in chat.messages],
        "pins": [_file_pin(p) for p in chat.pins],
    }
    dialect = cast(schema.Dialect, chat.dialect)  # one of them: it has defaults
    return schema.Chat(id=chat.id, dialect=dialect, **_not_default(schema.Chat, values))


def _differing(value: Permission, default: Permission) -> str | None:
    return None if value is default else value.value


def _file_policy(rules: core.ChatRules, defaults: core.ChatRules) -> schema.PinPolicy | None:
    """Only the parts of the pin policy that differ from the dialect's defaults."""
    given: dict[str, Any] = {}
    if rules.max_pins != defaults.max_pins:
        given["max_pins"] = rules.max_pins
    if rules.overflow is not defaults.overflow:
        given["overflow"] = rules.overflow.value
    rights = {
        right.value: rules.pin_rights.lowest(right).value
        for right in PinRight
        if rules.pin_rights.lowest(right) is not defaults.pin_rights.lowest(right)
    }
    if rights:
        given["permissions"] = schema.PinPermissions.model_validate(rights)
    return schema.PinPolicy(**given) if given else None


def _file_message(message: core.DeclaredMessage) -> schema.Message:
    values: dict[str, Any] = {"type": message.type, "created_at_ms": message.created_at}
    text = _text_of(message)
    if text is not None:
        values["text"] = text
    else:
        values["content"] = message.content
    return schema.Message(
        id=message.id, sender=message.sender, **_not_default(schema.Message, values)
    )


def _text_of(message: core.DeclaredMessage) -> str | None:
    """The text of a message whose content is exactly what ``text`` would store."""
    if message.type != "text":
        return None
    try:
        decoded = json.loads(message.content)
    except ValueError:
        return None
    if not isinstance(decoded, dict) or set(decoded) != {"text"}:
        return None
    text = decoded["text"]
    return text if isinstance(text, str) and text_content(text) == message.content else None


def _file_pin(pin: core.DeclaredPin) -> schema.Pin:
    values = {
        "note": pin.note,
        "must_read": pin.must_read,
        "expires_at_ms": pin.expires_at,
        "pinned_at_ms": pin.pinned_at,
    }
    return schema.Pin(
        message=pin.message, pinned_by=pin.pinned_by, **_not_default(schema.Pin, values)
    )

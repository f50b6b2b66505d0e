"""Core entities in Feishu's wire shapes. Times are millisecond strings, as the vendor sends."""

from __future__ import annotations

import hashlib
from typing import Any

from chatpins.core.entities import (
    App,
    Chat,
    Member,
    Message,
    Permission,
    Pin,
    PinRights,
    Role,
    User,
)

# Feishu settings a chat carries, with the vendor's defaults for a new group chat.
CHAT_DEFAULTS: dict[str, Any] = {
    "avatar": "",
    "i18n_names": {},
    "chat_mode": "group",
    "chat_type": "private",
    "chat_tag": "inner",
    "group_message_type": "chat",
    "external": False,
    "at_all_permission": "all_members",
    "join_message_visibility": "all_members",
    "leave_message_visibility": "all_members",
    "membership_approval": "no_approval_required",
    "moderation_permission": "all_members",
    "urgent_setting": "all_members",
    "video_conference_setting": "all_members",
    "hide_member_count_setting": "all_members",
    "restricted_mode_setting": {
        "status": False,
        "screenshot_has_permission_setting": "all_members",
        "download_has_permission_setting": "all_members",
        "message_has_permission_setting": "all_members",
    },
    "labels": [],
    "toolkit_ids": [],
}

_SETTING = {Permission.MEMBERS: "all_members", Permission.OWNER_ADMINS: "only_owner"}
PERMISSION = {v: k for k, v in _SETTING.items()}
# ``pin_manage_setting``: every pin right to members, or to the owner and managers.
PIN_RIGHTS = {
    "all_members": PinRights.every(Role.MEMBER),
    "only_owner": PinRights.every(Role.ADMIN),
}


def tenant_key(app: App) -> str:
    return hashlib.sha256(f"tenant:{app.id}".encode()).hexdigest()[:16]


def ms(value: int | None) -> str:
    return str(value or 0)


def user_id_as(user: User, id_type: str) -> str:
    if user.is_bot:
        return user.id
    return {"open_id": user.open_id, "union_id": user.union_id}.get(id_type, user.id)


def actor_ref(user: User) -> tuple[str, str]:
    """(id, id_type) of an operator or sender: an app by its ``cli_`` id, a user by open_id."""
    return (user.id, "app_id") if user.is_bot else (user.open_id, "open_id")


def pin(p: Pin, operator: User) -> dict[str, Any]:
    operator_id, operator_type = actor_ref(operator)
    return {
        "message_id": p.message_id,
        "chat_id": p.chat_id,
        "operator_id": operator_id,
        "operator_id_type": operator_type,
        "create_time": ms(p.pinned_at),
    }


def message(app: App, m: Message, sender: User) -> dict[str, Any]:
    sender_id, id_type = actor_ref(sender)
    return {
        "message_id": m.id,
        "msg_type": m.type,
        "create_time": ms(m.created_at),
        "update_time": ms(m.updated_at),
        "deleted": m.recalled,
        "updated": False,
        "chat_id": m.chat_id,
        "sender": {
            "id": sender_id,
            "id_type": id_type,
            "sender_type": "app" if sender.is_bot else "user",
            "tenant_key": tenant_key(app),
        },
        "body": {"content": m.content},
        "mentions": [],
    }


def chat(
    app: App,
    c: Chat,
    members: list[Member],
    users: dict[str, User],
    id_type: str,
    *,
    full: bool,
) -> dict[str, Any]:
    attributes = {**CHAT_DEFAULTS, **c.attributes}
    bots = [m for m in members if users[m.user_id].is_bot]
    counts = {"user_count": str(len(members) - len(bots)), "bot_count": str(len(bots))}
    status = "dissolved" if c.dissolved else "normal"
    if not full:
        # Feishu shows an outsider only the chat's face.
        return {"name": c.name, "avatar": attributes["avatar"], **counts, "chat_status": status}
    data: dict[str, Any] = {
        "chat_id": c.id,
        "name": c.name,
        "description": c.description,
        **attributes,
        "tenant_key": tenant_key(app),
        "add_member_permission": _SETTING[c.add_member_permission],
        "share_card_permission": (
            "allowed" if c.add_member_permission is Permission.MEMBERS else "not_allowed"
        ),
        "edit_permission": _SETTING[c.edit_permission],
        "pin_manage_setting": "all_members" if c.pin_rights.pin is Role.MEMBER else "only_owner",
        "chat_status": status,
        **counts,
    }
    if c.kind == "p2p":
        data["chat_mode"] = "p2p"
    owner = users.get(c.owner_id or "")
    # Owner fields are left out when a bot owns the chat, and for p2p chats.
    if owner is not None and not owner.is_bot and c.kind != "p2p":
        data["owner_id"] = user_id_as(owner, id_type)
        data["owner_id_type"] = id_type
    admins = [m for m in members if m.role is Role.ADMIN]
    data["user_manager_id_list"] = [
        user_id_as(users[m.user_id], id_type) for m in admins if not users[m.user_id].is_bot
    ]
    data["bot_manager_id_list"] = [m.user_id for m in admins if users[m.user_id].is_bot]
    return data

"""Feishu's event push (feishu.md §7): the v2.0 envelope, its encryption, signature and URL check.

Our events map to Feishu's types where Feishu has one (there is no pin event on Feishu; pins
travel only in the native format):

| ours               | Feishu                                                               |
|--------------------|----------------------------------------------------------------------|
| message.sent       | im.message.receive_v1 (not for messages the app's own bot sends)     |
| message.recalled   | im.message.recalled_v1                                               |
| chat.dissolved     | im.chat.disbanded_v1                                                 |
| chat.updated       | im.chat.updated_v1 (only when a field Feishu reports changed)        |
| member.added       | im.chat.member.user.added_v1, and im.chat.member.bot.added_v1 when  |
|                    | the app's bot is among them                                          |
| member.removed     | im.chat.member.user.deleted_v1 (withdrawn_v1 when users left by      |
|                    | themselves), and im.chat.member.bot.deleted_v1 for the app's bot     |

With an encrypt key the body is ``{"encrypt": base64(iv ‖ AES-256-CBC(SHA-256(key), json))}``
and carries ``X-Lark-Request-Timestamp``, ``X-Lark-Request-Nonce`` and ``X-Lark-Signature``
(hex SHA-256 of timestamp + nonce + key + body); without one, the JSON is sent as it is.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from typing import Any

from chatpins.core.entities import App, Event, Permission
from chatpins.core.events import EventType
from chatpins.core.identity import feishu_open_id, feishu_union_id
from chatpins.dialects.feishu.render import tenant_key

RECEIVE = "im.message.receive_v1"
RECALLED = "im.message.recalled_v1"
DISBANDED = "im.chat.disbanded_v1"
UPDATED = "im.chat.updated_v1"
USER_ADDED = "im.chat.member.user.added_v1"
USER_DELETED = "im.chat.member.user.deleted_v1"
USER_WITHDRAWN = "im.chat.member.user.withdrawn_v1"
BOT_ADDED = "im.chat.member.bot.added_v1"
BOT_DELETED = "im.chat.member.bot.deleted_v1"
EVENT_TYPES = (
    RECEIVE,
    RECALLED,
    DISBANDED,
    UPDATED,
    USER_ADDED,
    USER_DELETED,
    USER_WITHDRAWN,
    BOT_ADDED,
    BOT_DELETED,
)

_RECALL_TYPE = {
    "sender": "message_owner",
    "owner": "group_owner",
    "admin": "group_manager",
    "platform": "enterprise_manager",
}
_PERMISSION = {Permission.MEMBERS.value: "all_members", Permission.OWNER_ADMINS.value: "only_owner"}


def event_type_names(event: Event, app: App) -> list[str]:
    """The Feishu event types an event of ours becomes (often none)."""
    return [name for name, _ in feishu_events(app, event)]


def user_ids(app: App, user_id: str) -> dict[str, str]:
    return {
        "open_id": feishu_open_id(app.id, user_id),
        "union_id": feishu_union_id(app.id, user_id),
        "user_id": user_id,
    }


Pushed = list[tuple[str, dict[str, Any]]]
Common = dict[str, Any]


def feishu_events(app: App, event: Event) -> Pushed:
    """(Feishu type, the envelope's ``event`` object) for each Feishu event ours becomes."""
    push = _PUSH.get(event.type)
    if push is None:
        return []
    p = event.payload
    operator = {
        "operator_id": user_ids(app, p["actor"]),
        "external": False,
        "operator_tenant_key": tenant_key(app),
    }
    return push(app, event, {"chat_id": p.get("chat_id", "")}, operator)


def _sent(app: App, event: Event, chat: Common, operator: Common) -> Pushed:
    if event.payload["actor"] == app.bot_user_id:
        return []
    return [(RECEIVE, _receive(app, event))]


def _recalled(app: App, event: Event, chat: Common, operator: Common) -> Pushed:
    p = event.payload
    recall = {
        "message_id": p["message_id"],
        "recall_time": str(p["at"]),
        "recall_type": _RECALL_TYPE.get(p.get("recalled_by", ""), "message_owner"),
    }
    return [(RECALLED, chat | recall)]


def _dissolved(app: App, event: Event, chat: Common, operator: Common) -> Pushed:
    return [(DISBANDED, chat | operator | _names(event.payload))]


def _updated(app: App, event: Event, chat: Common, operator: Common) -> Pushed:
    before, after = _chat_changes(app, event.payload.get("changes", {}))
    if not after:
        return []
    changed = {"after_change": after, "before_change": before, "moderator_list": {}}
    return [(UPDATED, chat | operator | changed)]


def _members(app: App, event: Event, chat: Common, operator: Common) -> Pushed:
    return _member_events(app, event, chat | operator)


def _receive(app: App, event: Event) -> dict[str, Any]:
    p = event.payload
    at = str(p["at"])
    return {
        "sender": {
            "sender_id": user_ids(app, p["actor"]),
            "sender_type": "app" if p.get("actor_is_bot") else "user",
            "tenant_key": tenant_key(app),
        },
        "message": {
            "message_id": p["message_id"],
            "root_id": "",
            "parent_id": "",
            "create_time": at,
            "update_time": at,
            "chat_id": p["chat_id"],
            "thread_id": "",
            "chat_type": p.get("chat_type", "group"),
            "message_type": p.get("type", "text"),
            "content": p.get("content", ""),
            "mentions": [],
        },
    }


def _names(p: dict[str, Any]) -> dict[str, Any]:
    return {"name": p.get("chat_name", ""), "i18n_names": {}}


def _chat_changes(
    app: App, changes: dict[str, dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field, change in changes.items():
        for side, value in ((before, change["before"]), (after, change["after"])):
            if field in ("name", "description"):
                side[field] = value or ""
            elif field == "owner_id":
                side[field] = user_ids(app, value) if value else {}
            elif field in ("edit_permission", "add_member_permission"):
                side[field] = _PERMISSION.get(value, value)
    return before, after


def _member_events(app: App, event: Event, common: Common) -> Pushed:
    p = event.payload
    added = event.type == EventType.MEMBER_ADDED
    users = p.get("users") or [{"id": u, "name": "", "is_bot": False} for u in p["user_ids"]]
    people = [u for u in users if not u["is_bot"]]
    found: list[tuple[str, dict[str, Any]]] = []
    if people:
        left_by_themselves = not added and all(u["id"] == p["actor"] for u in people)
        name = USER_ADDED if added else (USER_WITHDRAWN if left_by_themselves else USER_DELETED)
        listed = [
            {"name": u["name"], "tenant_key": tenant_key(app), "user_id": user_ids(app, u["id"])}
            for u in people
        ]
        found.append((name, common | _names(p) | {"users": listed}))
    if any(u["id"] == app.bot_user_id for u in users):
        found.append((BOT_ADDED if added else BOT_DELETED, common | _names(p)))
    return found


# Our event types that Feishu has a push for (the table in the module docstring); the others
# (pins, edits, conversations, tokens, …) travel only in the native format.
_PUSH: dict[str, Callable[[App, Event, Common, Common], Pushed]] = {
    EventType.MESSAGE_SENT: _sent,
    EventType.MESSAGE_RECALLED: _recalled,
    EventType.CHAT_DISSOLVED: _dissolved,
    EventType.CHAT_UPDATED: _updated,
    EventType.MEMBER_ADDED: _members,
    EventType.MEMBER_REMOVED: _members,
}


def envelope(
    app: App, verification_token: str, event_type: str, event_id: str, created_at: int, body: Any
) -> dict[str, Any]:
    return {
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "event_type": event_type,
            "create_time": str(created_at),
            "token": verification_token,
            "app_id": app.feishu_app_id,
            "tenant_key": tenant_key(app),
        },
        "event": body,
    }


def feishu_event_id(app_id: str, seq: int, event_type: str) -> str:
    """32 hex like Feishu's; one native event can become two Feishu events, each its own id."""
    return hashlib.sha256(f"{app_id}\x00{seq}\x00{event_type}".encode()).hexdigest()[:32]


def url_verification(verification_token: str, challenge: str) -> dict[str, Any]:
    return {"challenge": challenge, "token": verification_token, "type": "url_verification"}


def encrypt(encrypt_key: str, plaintext: str) -> str:
    # Imported here: only Feishu webhooks with an encrypt key need it, and a server without
    # them should not carry its memory (the idle-memory budget is per instance).
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = hashlib.sha256(encrypt_key.encode()).digest()
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(plaintext.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(data) + encryptor.finalize()).decode()


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def request(document: dict[str, Any], encrypt_key: str, now_s: int) -> tuple[bytes, dict[str, str]]:
    """The POST body and headers for one push: encrypted and signed when there is a key."""
    text = json.dumps(document, ensure_ascii=False)
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if not encrypt_key:
        return text.encode(), headers
    body = json.dumps({"encrypt": encrypt(encrypt_key, text)}).encode()
    timestamp, nonce = str(now_s), base64.b32encode(os.urandom(10)).decode().lower()
    headers |= {
        "X-Lark-Request-Timestamp": timestamp,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": signature(timestamp, nonce, encrypt_key, body),
    }
    return body, headers

"""Core entities in IMKit's wire shapes. Times are 13-digit integer epoch milliseconds
(``…MS``); ISO strings only where IMKit names them (``updatedAt``, ``expirationDate``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chatpins.core.entities import App, ChatKind, Message, Role, User
from chatpins.core.services.chat_details import ChatDetail
from chatpins.core.services.members import MEMBER_PROPERTIES
from chatpins.intake import Unreadable, load_json, parse_uint

# Room settings kept as chat attributes, with IMKit's defaults for a new room.
ROOM_DEFAULTS: dict[str, Any] = {"cover": "", "roomTags": [], "status": 1}
# A message type IMKit shows for a recalled message.
RECALL = "recall"


def iso(ms: int) -> str:
    """ISO-8601 UTC with milliseconds: ``2026-01-05T08:00:00.000Z``."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_time(value: str) -> int | None:
    """Epoch ms from a 13-digit number or an ISO-8601 string; None when neither."""
    if value.isdigit():
        return parse_uint(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def user(app: App, u: User) -> dict[str, Any]:
    return {
        "_id": u.id,
        "id": u.id,
        "appID": app.id,
        "nickname": u.name,
        "avatarUrl": u.avatar,
        # Users have no description column: it is accepted and shown as "" (docs/imkit.md).
        "description": "",
        "isRobot": u.is_bot,
        # Logins are not tracked: 0 means "never" in IMKit.
        "lastLoginTimeMS": 0,
    }


def _unknown_user(user_id: str) -> User:
    return User(
        app_id="", id=user_id, name=user_id, is_bot=False, registered_at=0, open_id="", union_id=""
    )


def content(m: Message) -> Any:
    """IMKit's ``message`` is stored as JSON text; content written by another dialect (not
    JSON, or JSON the intake would not take, such as a Feishu text holding an escaped lone
    surrogate) is shown as the raw string."""
    try:
        return load_json(m.content)
    except Unreadable:
        return m.content


def message(
    app: App, m: Message, sender: User | None, *, pinned: bool, sender_as_id: bool = False
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "_id": m.id,
        "id": m.id,
        "appID": app.id,
        "room": m.chat_id,
        "message": "" if m.recalled else content(m),
        "messageType": RECALL if m.recalled else m.type,
        "sender": m.sender_id if sender_as_id else user(app, sender or _unknown_user(m.sender_id)),
        "pinned": pinned,
        "messageTimeMS": m.created_at,
        "createdAtMS": m.created_at,
        "updatedAtMS": m.updated_at,
    }
    return data


def room(app: App, d: ChatDetail, *, member_ids_only: bool = False) -> dict[str, Any]:
    c = d.chat
    attributes = {**ROOM_DEFAULTS, **c.attributes}
    properties = attributes.pop(MEMBER_PROPERTIES, {})
    members: list[Any] = [m.user_id for m in d.members]
    if not member_ids_only:
        members = [user(app, d.users.get(uid) or _unknown_user(uid)) for uid in members]
    viewer = d.viewer
    data: dict[str, Any] = {
        "_id": c.id,
        "id": c.id,
        "appID": app.id,
        "name": c.name,
        "cover": attributes["cover"],
        "description": c.description,
        "roomType": "direct" if c.kind is ChatKind.P2P else "group",
        "status": attributes["status"],
        "roomTags": attributes["roomTags"],
        "owner": c.owner_id,
        "managers": [m.user_id for m in d.members if m.role is Role.ADMIN],
        "members": members,
        "memberProperties": [
            {"client": m.user_id, "badge": 0, "lastRead": None, **properties.get(m.user_id, {})}
            for m in d.members
        ],
        "unread": 0,
        "muted": False,
        "isSuperuser": viewer is not None and viewer.role in (Role.OWNER, Role.ADMIN),
        "createdTimeMS": c.created_at,
        "pinnedMessage": None,
    }
    if "opening" in attributes:
        data["opening"] = attributes["opening"]
    if d.last_message is not None:
        last = d.last_message
        pinned_ids = {p.id for p in d.pinned}
        data["lastMessage"] = message(
            app, last, d.users.get(last.sender_id), pinned=last.id in pinned_ids
        )
    # ``d.pinned`` and ``d.last_message`` hold only what the caller may see (core's one
    # visibility rule): a pin restricted from the caller reads as no pin, ``null``.
    if d.pinned:
        # One pin per IMKit room; a chat pinned through another dialect shows its latest.
        latest = d.pinned[-1]
        data["pinnedMessage"] = message(app, latest, d.users.get(latest.sender_id), pinned=True)
    return data

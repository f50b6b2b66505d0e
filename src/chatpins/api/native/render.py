"""Native replies: entities as ``docs/native.md`` shows them (times in ms)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from starlette.responses import JSONResponse

from chatpins.core.entities import Chat, Member, Message, Pin, PinChange, PinRights, User
from chatpins.core.services.pin_lists import PinList


def user(u: User) -> dict[str, Any]:
    return {"id": u.id, "name": u.name, "is_bot": u.is_bot, "registered_at_ms": u.registered_at}


def pin_policy(chat: Chat) -> dict[str, Any]:
    return {
        "max_pins": chat.max_pins,
        "overflow": chat.overflow.value,
        "permissions": permissions(chat.pin_rights),
    }


def permissions(rights: PinRights) -> dict[str, str]:
    return {right: role.value for right, role in dataclasses.asdict(rights).items()}


def chat(c: Chat, members: list[Member]) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "owner": c.owner_id,
        "dialect": c.dialect,
        "created_at_ms": c.created_at,
        "members": [{"user_id": m.user_id, "role": m.role.value} for m in members],
        "pin_policy": pin_policy(c),
        "version": c.pin_version,
    }


def message(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "chat_id": m.chat_id,
        "sender": m.sender_id,
        "text": text_of(m),
        "created_at_ms": m.created_at,
    }


def json_text(text: str) -> str:
    """A text message's stored content, as the dialects write it."""
    return json.dumps({"text": text}, ensure_ascii=False)


def text_of(m: Message) -> str:
    """The text of a text message, whichever dialect wrote it (``{"text": …}``)."""
    try:
        content = json.loads(m.content)
    except ValueError:
        return m.content
    return content.get("text", "") if isinstance(content, dict) else ""


def pin(p: Pin, position: int, acks: int, members: int) -> dict[str, Any]:
    return {
        "message_id": p.message_id,
        "position": position,
        "pinned_by": p.pinned_by,
        "pinned_at_ms": p.pinned_at,
        "expires_at_ms": p.expires_at,
        "starts_at_ms": p.starts_at,
        "scheduled": p.scheduled,
        "note": p.note,
        "dialect": p.dialect,
        "must_read": p.must_read,
        "acks": {"count": acks, "of": members},
    }


def pins(listed: PinList) -> list[dict[str, Any]]:
    return [
        pin(p, position, listed.acks.get(p.id or 0, 0), listed.members)
        for position, p in enumerate(listed.pins)
    ]


def change(c: PinChange) -> dict[str, Any]:
    return {
        "id": c.id,
        "message_id": c.message_id,
        "action": c.action.value,
        "actor": c.actor_id,
        "dialect": c.dialect,
        "at_ms": c.at,
        "reason": c.reason,
        "version": c.version,
    }


def reply(content: Any, *, status: int = 200, version: int | None = None) -> JSONResponse:
    """A reply already made of JSON's own types, sent as FastAPI would send it (the same
    ``JSONResponse``), ``version`` as its ETag. Returned as a response, it skips the walk
    FastAPI makes otherwise over every value (``jsonable_encoder``): ~45% of the CPU of a
    50-pin reorder."""
    headers = {"ETag": f'"{version}"'} if version is not None else None
    return JSONResponse(content, status_code=status, headers=headers)

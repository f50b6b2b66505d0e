"""Messages: send as a user or as the platform, list a room's messages, pin and unpin.

Every message IMKit returns carries ``pinned`` (chosen); pin and unpin return the bare
message (imkit.md §7).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from chatpins.core.context import Actor
from chatpins.core.entities import Message, User
from chatpins.core.services import messages, pins, users
from chatpins.dialects.imkit import render
from chatpins.dialects.imkit.auth import DIALECT, endpoint
from chatpins.dialects.imkit.errors import fail
from chatpins.dialects.imkit.schemas import MessageListQuery, PlatformMessageBody, UserMessageBody
from chatpins.dialects.imkit.wire import ok, page, parse_body, query
from chatpins.dialects.shell import deps_of

_TIME_FIELDS = {"messageTime": "created_at", "createdAt": "created_at", "updatedAt": "updated_at"}
MAX_LIMIT = 100  # chosen


@endpoint("user", "message.send")
async def send_as_user(request: Request, actor: Actor) -> Response:
    room_id = request.path_params["room_id"]
    body = await parse_body(request, UserMessageBody)
    deps = deps_of(request)
    if body.messageType == render.RECALL:
        if body.id is None:
            raise fail("missing_parameter", "_id: the message to recall")
        recalled = await messages.recall_message(deps, actor, body.id, chat_id=room_id)
        return ok(await _render(request, actor, recalled, pinned=False))
    message_type, content = _content(body.message, body.messageType)
    if body.id is not None:
        edited, pinned = await messages.edit_message(
            deps, actor, room_id, body.id, message_type, content
        )
        return ok(await _render(request, actor, edited, pinned=pinned))
    new = messages.NewMessage(deps.ids.hex(24), message_type, content, chat_rate_limited=False)
    sent = await messages.send_message(deps, actor, room_id, new)
    return ok(render.message(actor.app, sent, actor.user, pinned=False))


@endpoint("platform")
async def send_as_platform(request: Request, actor: Actor) -> Response:
    body = await parse_body(request, PlatformMessageBody)
    message_type, content = _content(body.message, body.messageType)
    deps = deps_of(request)
    found = await users.get_users(deps, actor.app_id, [body.sender])
    # An unknown sender is simply not a member of the room (403 NOT_ROOM_MEMBER, chosen).
    sender = found.get(body.sender) or User(actor.app_id, body.sender, "", False, 0, "", "")
    as_sender = Actor(actor.app, sender, DIALECT)
    new = messages.NewMessage(deps.ids.hex(24), message_type, content, chat_rate_limited=False)
    sent = await messages.send_message(deps, as_sender, body.room, new)
    # The vendor's example shows ``sender`` as the id string here.
    return ok(render.message(actor.app, sent, sender, pinned=False, sender_as_id=True))


@endpoint("any")
async def list_messages(request: Request, actor: Actor) -> Response:
    room_id = request.path_params["room_id"]
    q = query(request, MessageListQuery)
    since = None
    if q.afterTime is not None:
        since = render.parse_time(q.afterTime)
        if since is None:
            raise fail("invalid_body", "afterTime: an ISO-8601 date or epoch milliseconds")
    result = await messages.list_chat_messages(
        deps_of(request),
        actor,
        room_id,
        before_id=q.beforeMessage,
        after_id=q.afterMessage,
        since=since,
        time_field=_TIME_FIELDS[q.timeRangeField],
        descending=q.sortOrder == "desc",
        limit=min(q.limit, MAX_LIMIT),
    )
    senders = await users.get_users(
        deps_of(request), actor.app_id, [m.sender_id for m in result.messages]
    )
    data = [
        render.message(actor.app, m, senders.get(m.sender_id), pinned=m.id in result.pinned_ids)
        for m in result.messages
    ]
    return page(data, result.total, userDeletedIDs=[])


@endpoint("any")
async def pin(request: Request, actor: Actor) -> Response:
    # No body: whatever is sent is ignored (imkit.md §7).
    _pin, message = await pins.pin_and_read(
        deps_of(request), actor, request.path_params["message_id"]
    )
    return ok(await _render(request, actor, message, pinned=True))


@endpoint("any")
async def unpin(request: Request, actor: Actor) -> Response:
    message = await pins.unpin_message(deps_of(request), actor, request.path_params["message_id"])
    return ok(await _render(request, actor, message, pinned=False))


def _content(message: Any, message_type: str | None) -> tuple[str, str]:
    """IMKit's ``message`` (any JSON) is stored as JSON text; both fields are required."""
    if message is None or message_type is None:
        raise fail("missing_parameter", "message and messageType are required")
    return message_type, json.dumps(message, ensure_ascii=False)


async def _render(request: Request, actor: Actor, m: Message, *, pinned: bool) -> dict[str, Any]:
    sender = actor.user if m.sender_id == actor.user.id else None
    if sender is None:
        sender = (await users.get_users(deps_of(request), actor.app_id, [m.sender_id])).get(
            m.sender_id
        )
    return render.message(actor.app, m, sender, pinned=pinned)

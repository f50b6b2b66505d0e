"""SendPeerMessage and SendGroupMessage (zim.md §6, MessageBody)."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from chatpins.core.errors import ChatpinsError
from chatpins.core.services import direct_messages, messages, users
from chatpins.core.services.messages import NewMessage
from chatpins.dialects.zim import schemas
from chatpins.dialects.zim.errors import ZimError, error, from_core, sub
from chatpins.dialects.zim.gateway import Call
from chatpins.dialects.zim.wire import batch, ok

MAX_RECEIVERS = 100
CUSTOM = 200
# ZIM MessageType → core message type. 20 (barrage) exists only in rooms.
MESSAGE_TYPES = {
    1: "text",
    2: "command",
    10: "multiple",
    11: "image",
    12: "file",
    13: "audio",
    14: "video",
    CUSTOM: "custom",
}
MAX_MESSAGE_BYTES = 2 * 1024
MAX_EXTENDED_BYTES = 1024
MAX_SEARCHED_BYTES = 64


async def send_peer_message(call: Call) -> Response:
    body = call.body
    sender_id = schemas.require_id(body, "FromUserId")
    receivers = schemas.list_field(body, "ToUserId", high=MAX_RECEIVERS, over="too_many_users")
    if any(schemas.id_problem(r) is not None for r in receivers):
        raise error("invalid_param", "ToUserId holds an invalid UserId")
    new_type, content = _message(body)
    schemas.int_field(body, "SenderUnaware", default=0, choices=(0, 1))
    sender = await call.actor(sender_id)
    registered = await users.get_users(call.deps, call.app.id, receivers)
    failures: list[dict[str, Any]] = []
    sent: list[dict[str, Any]] = []
    for receiver in dict.fromkeys(receivers):
        try:
            if receiver == sender_id:
                raise error("self_message")
            if receiver not in registered:
                raise error("user_not_registered")
            new = NewMessage(_numeric_id(call), new_type, content)
            message = await direct_messages.send_to_user(call.deps, sender, receiver, new)
        except ChatpinsError as exc:
            code, message_text = sub(exc)
            failures.append({"UserId": receiver, "SubCode": code, "SubMessage": message_text})
            continue
        except ZimError as exc:
            failures.append({"UserId": receiver, "SubCode": exc.code, "SubMessage": exc.message})
            continue
        sent.append({"UserId": receiver, "MsgId": message.id, "MsgSeq": message.created_at})
    return batch("ErrorList", failures, len(dict.fromkeys(receivers)), SuccList=sent, AuditInfos=[])


async def send_group_message(call: Call) -> Response:
    body = call.body
    sender_id = schemas.require_id(body, "FromUserId")
    group_id = schemas.require_id(body, "GroupId")
    new_type, content = _message(body)
    sender = await call.actor(sender_id)
    try:
        message = await messages.send_message(
            call.deps, sender, group_id, NewMessage(_numeric_id(call), new_type, content)
        )
    except ChatpinsError as exc:
        raise from_core(exc) from exc
    # MsgId is documented as a number for group messages.
    return ok(MsgId=int(message.id), MsgSeq=message.created_at, AuditInfos=[])


def _numeric_id(call: Call) -> str:
    """ZIM message ids are numbers (strings of digits on the peer API)."""
    return str(int(call.deps.ids.hex(15), 16) or 1)


def _message(body: dict[str, Any]) -> tuple[str, str]:
    """Check MessageType, Priority and MessageBody; return the core type and stored content."""
    message_type = schemas.int_field(body, "MessageType", choices=tuple(MESSAGE_TYPES))
    schemas.int_field(body, "Priority", choices=(1, 2, 3))
    custom = message_type == CUSTOM
    if "SubMsgType" in body:
        schemas.int_field(body, "SubMsgType", low=0, high=200)
        if not custom:
            raise error("invalid_param", "SubMsgType is for custom messages only")
    searched = schemas.str_field(body, "SearchedContent", MAX_SEARCHED_BYTES)
    if searched and not custom:
        raise error("invalid_param", "SearchedContent is for custom messages only")
    options = body.get("SendMsgOptions", {})
    if options is not None and not isinstance(options, dict):
        raise error("invalid_param", "SendMsgOptions must be an object")
    payload = body.get("MessageBody")
    if not isinstance(payload, dict):
        raise error("invalid_param", "MessageBody must be an object")
    text = payload.get("Message")
    if not isinstance(text, str) or not text:
        raise error("invalid_param", "MessageBody.Message is required")
    if len(text.encode()) > MAX_MESSAGE_BYTES:
        raise error("message_too_large")
    schemas.str_field(payload, "ExtendedData", MAX_EXTENDED_BYTES, reason="message_too_large")
    for flag in ("HasReceipt", "IsBase64"):
        schemas.int_field(payload, flag, default=0, choices=(0, 1))
    push = payload.get("OfflinePush", {})
    if push is not None and not isinstance(push, dict):
        raise error("invalid_param", "OfflinePush must be an object")
    return MESSAGE_TYPES[message_type], json.dumps(payload, ensure_ascii=False)

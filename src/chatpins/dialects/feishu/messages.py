"""Message send, get and recall (``/open-apis/im/v1/messages``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from chatpins.core.context import Actor
from chatpins.core.errors import InvalidArgument, Reason
from chatpins.core.services import direct_messages, messages, users
from chatpins.dialects.feishu import render
from chatpins.dialects.feishu.auth import endpoint
from chatpins.dialects.feishu.errors import invalid
from chatpins.dialects.feishu.schemas import MessageCreateBody, MessageCreateQuery
from chatpins.dialects.feishu.wire import ok, parse_body, parse_query
from chatpins.dialects.shell import deps_of
from chatpins.intake import Unreadable, load_json

# msg_type -> keys its content must hold (feishu.md §6.7).
_REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "post": (),
    "image": ("image_key",),
    "file": ("file_key",),
    "audio": ("file_key",),
    "sticker": ("file_key",),
    "media": ("file_key",),
    "interactive": (),
    "share_chat": ("chat_id",),
    "share_user": ("user_id",),
    "system": (),
}
# Size caps: text 150 KB, post and cards 30 KB (230025).
_MAX_CONTENT_BYTES = {"text": 150 * 1024, "post": 30 * 1024, "interactive": 30 * 1024}


@endpoint("message.send")
async def create_message(request: Request, actor: Actor) -> Response:
    query = parse_query(request, MessageCreateQuery, "message")
    body = await parse_body(request, MessageCreateBody, "message")
    _check_content(body.msg_type, body.content)
    deps = deps_of(request)
    new = messages.NewMessage(
        id="om_" + deps.ids.hex(32), type=body.msg_type, content=body.content, send_key=body.uuid
    )
    if query.receive_id_type == "chat_id":
        message = await messages.send_message(deps, actor, body.receive_id, new)
    else:
        peer_id = await _peer_id(request, actor, query.receive_id_type, body.receive_id)
        message = await direct_messages.send_to_user(deps, actor, peer_id, new)
    return ok(render.message(actor.app, message, actor.user))


@endpoint("message.get")
async def get_message(request: Request, actor: Actor) -> Response:
    deps = deps_of(request)
    message = await messages.get_message(deps, actor, request.path_params["message_id"])
    sender = (await users.get_users(deps, actor.app_id, [message.sender_id]))[message.sender_id]
    return ok({"items": [render.message(actor.app, message, sender)]})


@endpoint("message.recall")
async def recall_message(request: Request, actor: Actor) -> Response:
    await messages.recall_message(deps_of(request), actor, request.path_params["message_id"])
    return ok()


def _check_content(msg_type: str, content: str) -> None:
    required = _REQUIRED_KEYS.get(msg_type)
    if required is None:
        raise invalid("message")
    limit = _MAX_CONTENT_BYTES.get(msg_type)
    if limit is not None and len(content.encode()) > limit:
        raise InvalidArgument(Reason.CONTENT_TOO_LONG)
    try:  # content is JSON inside the JSON body: the same rules hold for it
        parsed = load_json(content)
    except Unreadable as exc:
        raise invalid("message") from exc
    if not isinstance(parsed, dict) or any(not parsed.get(k) for k in required):
        raise invalid("message")


async def _peer_id(request: Request, actor: Actor, id_type: str, receive_id: str) -> str:
    """A message to a user goes to the p2p chat of the sender and that user."""
    if id_type == "email":
        raise InvalidArgument(Reason.INVALID_RECEIVE_ID)  # chatpins users have no e-mail address
    peer = await users.lookup_user(deps_of(request), actor.app_id, id_type, receive_id)
    if peer is None or peer.id == actor.user.id:
        raise InvalidArgument(Reason.INVALID_RECEIVE_ID)
    return peer.id

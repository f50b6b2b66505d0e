"""Pin create, delete and list (``/open-apis/im/v1/pins``)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from chatpins.core.context import Actor
from chatpins.core.entities import User
from chatpins.core.services import pins, users
from chatpins.dialects.feishu import render
from chatpins.dialects.feishu.auth import endpoint
from chatpins.dialects.feishu.errors import invalid
from chatpins.dialects.feishu.schemas import PinBody, PinListQuery
from chatpins.dialects.feishu.wire import ok, parse_body, parse_query
from chatpins.dialects.shell import deps_of
from chatpins.intake import parse_uint


@endpoint("message.pin")
async def create_pin(request: Request, actor: Actor) -> Response:
    body = await parse_body(request, PinBody, "message")
    pin = await pins.pin_message(deps_of(request), actor, body.message_id)
    operator = await _operators(request, actor, [pin.pinned_by])
    return ok({"pin": render.pin(pin, operator[pin.pinned_by])})


@endpoint("message.unpin")
async def delete_pin(request: Request, actor: Actor) -> Response:
    message_id = request.path_params["message_id"]
    if not message_id:
        raise invalid("message")
    await pins.unpin_message(deps_of(request), actor, message_id)
    return ok()


@endpoint("message.list_pins")
async def list_pins(request: Request, actor: Actor) -> Response:
    query = parse_query(request, PinListQuery, "message")
    start, end = query.start_time, query.end_time
    if start is not None and end is not None and start >= end:
        raise invalid("message")
    after = _decode_page_token(query.page_token) if query.page_token else None
    page = await pins.list_pins(
        deps_of(request),
        actor,
        query.chat_id,
        start=query.start_time,
        end=query.end_time,
        after=after,
        limit=query.page_size,
    )
    operators = await _operators(request, actor, [p.pinned_by for p in page.pins])
    data: dict[str, Any] = {
        "items": [render.pin(p, operators[p.pinned_by]) for p in page.pins],
        "has_more": page.has_more,
    }
    if page.next_after is not None:
        data["page_token"] = _encode_page_token(page.next_after)
    return ok(data)


async def _operators(request: Request, actor: Actor, user_ids: list[str]) -> dict[str, User]:
    known = {actor.user.id: actor.user}
    missing = [u for u in user_ids if u not in known]
    if missing:
        known.update(await users.get_users(deps_of(request), actor.app_id, missing))
    return known


def _encode_page_token(after: tuple[int, int]) -> str:
    # Opaque to clients, like the vendor's; it carries the last pin's (time, id) keyset.
    return base64.urlsafe_b64encode(f"p1:{after[0]}:{after[1]}".encode()).decode()


def _decode_page_token(token: str) -> tuple[int, int]:
    try:
        version, at, pin_id = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        keyset = parse_uint(at), parse_uint(pin_id)
        if version != "p1" or keyset[0] is None or keyset[1] is None:
            raise ValueError(version)
        return keyset[0], keyset[1]
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise invalid("message") from exc

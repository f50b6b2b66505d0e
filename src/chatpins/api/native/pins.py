"""Native pins: an ordered list per chat with versions, expiry, edits and history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from chatpins.api.errors import responses
from chatpins.api.native import render
from chatpins.api.native.auth import ActorDep, DepsDep
from chatpins.api.native.schemas import (
    HistoryReply,
    PinCreate,
    PinCreated,
    PinEdited,
    PinListReply,
    PinOrder,
    PinUpdate,
    VersionReply,
)
from chatpins.core.context import Deps
from chatpins.core.errors import InvalidArgument, Reason
from chatpins.core.services import pin_lists, pins
from chatpins.intake import INT64_MAX

router = APIRouter(prefix="/v1/chats/{chat_id}/pins", tags=["native"])

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=40,
        description="The chat's pin version as `\"n\"` (the list's ETag): the change is made "
        "only if the pins have not changed since (else 412 version_mismatch)",
    ),
]


@router.get("", response_model=None, responses=responses(400, 401, 403, 404, reply=PinListReply))
async def list_pins(
    chat_id: str, actor: ActorDep, deps: DepsDep, response: Response
) -> dict[str, Any]:
    listed = await pin_lists.list_in_order(deps, actor, chat_id)
    response.headers["ETag"] = _etag(listed.version)
    return {"version": listed.version, "pins": render.pins(listed.pins)}


@router.post(
    "",
    status_code=201,
    response_model=None,
    responses=responses(400, 401, 403, 404, 410, 412, 422, 429, reply=PinCreated, status=201),
)
async def create_pin(
    chat_id: str,
    body: PinCreate,
    actor: ActorDep,
    deps: DepsDep,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    options = pins.PinOptions(
        position=body.position,
        expires_at=_expiry(deps, body.ttl_seconds, body.expires_at_ms),
        note=body.note,
        chat_id=chat_id,
        expected_version=_version(if_match),
    )
    outcome = await pins.pin(deps, actor, body.message_id, options)
    if not outcome.created:
        response.status_code = 200  # pinned already: the existing pin, nothing changed
    response.headers["ETag"] = _etag(outcome.version)
    return {
        "pin": render.pin(outcome.pin, outcome.position),
        "version": outcome.version,
        "evicted": outcome.evicted,
    }


@router.put(
    "/order",
    response_model=None,
    responses=responses(400, 401, 403, 404, 412, reply=PinListReply),
)
async def reorder_pins(
    chat_id: str, body: PinOrder, actor: ActorDep, deps: DepsDep, response: Response
) -> dict[str, Any]:
    listed = await pin_lists.reorder(
        deps, actor, chat_id, body.message_ids, expected_version=body.expected_version
    )
    response.headers["ETag"] = _etag(listed.version)
    return {"version": listed.version, "pins": render.pins(listed.pins)}


@router.get(
    "/history", response_model=None, responses=responses(400, 401, 403, 404, reply=HistoryReply)
)
async def pin_history(
    chat_id: str,
    actor: ActorDep,
    deps: DepsDep,
    after: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=pin_lists.MAX_HISTORY_PAGE)] = 50,
) -> dict[str, Any]:
    items, next_after = await pin_lists.history(deps, actor, chat_id, after=after, limit=limit)
    return {"items": [render.change(c) for c in items], "next_after": next_after}


@router.patch(
    "/{message_id}",
    response_model=None,
    responses=responses(400, 401, 403, 404, 412, reply=PinEdited),
)
async def update_pin(
    chat_id: str,
    message_id: str,
    body: PinUpdate,
    actor: ActorDep,
    deps: DepsDep,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    given = body.model_fields_set
    edit = pin_lists.PinEdit(
        note=body.note,
        expires_at=_expiry(deps, body.ttl_seconds, body.expires_at_ms),
        clear_expiry="expires_at_ms" in given and body.expires_at_ms is None,
        expected_version=_version(if_match),
    )
    pin, position, version = await pin_lists.edit_pin(deps, actor, chat_id, message_id, edit)
    response.headers["ETag"] = _etag(version)
    return {"pin": render.pin(pin, position), "version": version}


@router.delete(
    "/{message_id}",
    response_model=None,
    responses=responses(400, 401, 403, 404, 412, 429, reply=VersionReply),
)
async def delete_pin(
    chat_id: str,
    message_id: str,
    actor: ActorDep,
    deps: DepsDep,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    _message, version = await pins.unpin(
        deps,
        actor,
        message_id,
        chat_id=chat_id,
        expected_version=_version(if_match),
        must_be_pinned=True,
    )
    response.headers["ETag"] = _etag(version)
    return {"version": version}


def _etag(version: int) -> str:
    return f'"{version}"'


def _version(if_match: str | None) -> int | None:
    """``"n"``, ``W/"n"`` or a bare ``n``; anything else is a bad request."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isascii() or not value.isdigit() or int(value) > INT64_MAX:
        raise InvalidArgument(Reason.INVALID_VERSION, 'If-Match must be a version: "n"')
    return int(value)


def _expiry(deps: Deps, ttl_seconds: int | None, expires_at_ms: int | None) -> int | None:
    if ttl_seconds is not None:
        return deps.clock.now_ms() + ttl_seconds * 1000
    return expires_at_ms

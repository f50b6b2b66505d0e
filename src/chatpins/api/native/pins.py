"""Native pins: an ordered list per chat with versions, expiry, edits and history."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from starlette.responses import JSONResponse

from chatpins.api.errors import describe, responses
from chatpins.api.native import render
from chatpins.api.native.auth import ActorDep, DepsDep
from chatpins.api.native.render import reply
from chatpins.api.native.schemas import (
    AckBody,
    AckReply,
    AcksReply,
    BatchReply,
    HistoryReply,
    PinBatch,
    PinCreate,
    PinCreated,
    PinEdited,
    PinListReply,
    PinOrder,
    PinUpdate,
    VersionReply,
)
from chatpins.core.errors import InvalidArgument, Reason
from chatpins.core.services import pin_batches, pin_lists, pins
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
async def list_pins(chat_id: str, actor: ActorDep, deps: DepsDep) -> JSONResponse:
    listed = await pin_lists.list_in_order(deps, actor, chat_id)
    content = {"version": listed.version, "pins": render.pins(listed)}
    return reply(content, version=listed.version)


@router.post(
    "",
    status_code=201,
    response_model=None,
    responses=responses(
        400, 401, 403, 404, 410, 412, 422, 429, reply=PinCreated, status=201, also=(200,)
    ),
)
async def create_pin(
    chat_id: str,
    body: PinCreate,
    actor: ActorDep,
    deps: DepsDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    options = _options(deps.now(actor.app), body, chat_id, _version(if_match))
    outcome = await pins.pin(deps, actor, body.message_id, options, counted=True)
    # Pinned already: 200, the existing pin, nothing changed.
    status = 201 if outcome.created else 200
    return reply(_pinned(outcome), status=status, version=outcome.version)


@router.get(
    "/scheduled", response_model=None, responses=responses(400, 401, 403, 404, reply=PinListReply)
)
async def scheduled_pins(chat_id: str, actor: ActorDep, deps: DepsDep) -> JSONResponse:
    """The scheduled pins, the earliest start first; ``position`` is where each would stand
    among the pins of now."""
    waiting, positions = await pin_lists.scheduled(deps, actor, chat_id)
    shown = [
        render.pin(p, position, 0, waiting.members)
        for p, position in zip(waiting.pins, positions, strict=True)
    ]
    return reply({"version": waiting.version, "pins": shown})


@router.put(
    "/order",
    response_model=None,
    responses=responses(400, 401, 403, 404, 412, reply=PinListReply),
)
async def reorder_pins(
    chat_id: str, body: PinOrder, actor: ActorDep, deps: DepsDep
) -> JSONResponse:
    reordered = await pin_lists.reorder(
        deps, actor, chat_id, body.message_ids, expected_version=body.expected_version
    )
    content = {"version": reordered.version, "pins": render.pins(reordered)}
    return reply(content, version=reordered.version)


@router.get(
    "/history", response_model=None, responses=responses(400, 401, 403, 404, reply=HistoryReply)
)
async def pin_history(
    chat_id: str,
    actor: ActorDep,
    deps: DepsDep,
    after: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=pin_lists.MAX_HISTORY_PAGE)] = 50,
) -> JSONResponse:
    items, next_after = await pin_lists.history(deps, actor, chat_id, after=after, limit=limit)
    return reply({"items": [render.change(c) for c in items], "next_after": next_after})


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
    if_match: IfMatch = None,
) -> JSONResponse:
    given = body.model_fields_set
    edit = pin_lists.PinEdit(
        note=body.note,
        expires_at=body.deadline(deps.now(actor.app)),
        clear_expiry="expires_at_ms" in given and body.expires_at_ms is None,
        must_read=body.must_read,
        expected_version=_version(if_match),
    )
    edited = await pin_lists.edit_pin(deps, actor, chat_id, message_id, edit)
    shown = render.pin(edited.pin, edited.position, edited.acks, edited.members)
    return reply({"pin": shown, "version": edited.version}, version=edited.version)


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
    if_match: IfMatch = None,
) -> JSONResponse:
    _message, version = await pins.unpin(
        deps,
        actor,
        message_id,
        chat_id=chat_id,
        expected_version=_version(if_match),
        must_be_pinned=True,
    )
    return reply({"version": version}, version=version)


@router.post(
    "/batch",
    response_model=None,
    responses=responses(400, 401, 403, 404, 409, 412, reply=BatchReply),
)
async def batch(
    chat_id: str,
    body: PinBatch,
    actor: ActorDep,
    deps: DepsDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            pattern=r"^[\x21-\x7e]+$",
            description="The same key and body within 24 h answer the first reply again",
        ),
    ] = None,
) -> dict[str, Any]:
    operations = [
        pin_batches.Operation(
            op.op, op.message_id, _options(deps.now(actor.app), op, chat_id, None)
        )
        for op in body.operations
    ]
    idempotency = None
    if idempotency_key is not None:
        request = f"{chat_id}\n{body.model_dump_json()}"
        digest = hashlib.sha256(request.encode()).hexdigest()
        idempotency = pin_batches.Idempotency(idempotency_key, digest)

    def reply(outcome: pin_batches.BatchOutcome) -> dict[str, Any]:
        return {
            "version": outcome.version,
            "results": [_result(r, outcome) for r in outcome.results],
        }

    return await pin_batches.run_batch(
        deps,
        actor,
        chat_id,
        operations,
        reply,
        expected_version=body.expected_version,
        idempotency=idempotency,
    )


@router.post(
    "/{message_id}/restore",
    status_code=201,
    response_model=None,
    responses=responses(400, 401, 403, 404, 409, 410, 422, 429, reply=PinCreated, status=201),
)
async def restore_pin(
    chat_id: str, message_id: str, actor: ActorDep, deps: DepsDep
) -> JSONResponse:
    outcome = await pin_lists.restore(deps, actor, chat_id, message_id)
    return reply(_pinned(outcome), status=201, version=outcome.version)


@router.post(
    "/{message_id}/ack",
    response_model=None,
    responses=responses(400, 401, 403, 404, reply=AckReply),
)
async def ack_pin(
    chat_id: str,
    message_id: str,
    actor: ActorDep,
    deps: DepsDep,
    body: AckBody | None = None,
) -> dict[str, Any]:
    user_id = body.user_id if body is not None else None
    count, members = await pin_lists.ack(deps, actor, chat_id, message_id, user_id)
    return {"acks": {"count": count, "of": members}}


@router.get(
    "/{message_id}/acks",
    response_model=None,
    responses=responses(400, 401, 403, 404, reply=AcksReply),
)
async def list_acks(
    chat_id: str, message_id: str, actor: ActorDep, deps: DepsDep
) -> dict[str, Any]:
    found = await pin_lists.acks_of(deps, actor, chat_id, message_id)
    return {
        "count": len(found.acked),
        "of": len(found.acked) + len(found.pending),
        "acked": [{"user_id": user, "at_ms": at} for user, at in found.acked],
        "pending": found.pending,
    }


def _options(
    now: int, body: PinCreate, chat_id: str, expected_version: int | None
) -> pins.PinOptions:
    """The pin's options; ``now``: the app's time, which a ``ttl_seconds`` counts from."""
    return pins.PinOptions(
        position=body.position,
        expires_at=body.deadline(now),
        starts_at=body.starts_at_ms,
        note=body.note,
        must_read=body.must_read,
        chat_id=chat_id,
        expected_version=expected_version,
    )


def _pinned(outcome: pins.PinOutcome) -> dict[str, Any]:
    shown = render.pin(outcome.pin, outcome.position, outcome.acks, outcome.members)
    return {"pin": shown, "version": outcome.version, "evicted": outcome.evicted}


def _result(result: pin_batches.Result, batch: pin_batches.BatchOutcome) -> dict[str, Any]:
    if result.error is not None:
        _status, fields = describe(result.error)
        return {"message_id": result.message_id, "ok": False, "error": fields}
    item: dict[str, Any] = {"message_id": result.message_id, "ok": True}
    if result.outcome is not None:
        pin = result.outcome.pin
        acks = batch.acks.get(pin.id or 0, 0)
        item["pin"] = render.pin(pin, result.outcome.position, acks, batch.members)
        item["evicted"] = result.outcome.evicted
    return item


def _version(if_match: str | None) -> int | None:
    """``"n"``, ``W/"n"`` or a bare ``n``; anything else is a bad request."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isascii() or not value.isdigit() or int(value) > INT64_MAX:
        raise InvalidArgument(Reason.INVALID_VERSION, 'If-Match must be a version: "n"')
    return int(value)

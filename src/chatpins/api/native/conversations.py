"""Native conversation lists: a user's chats with the app's global pins and the user's own pins
on top (``docs/native.md``, "Conversations")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from chatpins.api.errors import responses
from chatpins.api.native.auth import ActorDep, DepsDep
from chatpins.api.native.schemas import (
    ConversationOrder,
    ConversationPage,
    ConversationPinBody,
    ConversationPinned,
    GlobalOrder,
    GlobalPinBody,
    GlobalPinReply,
    PinnedOrder,
)
from chatpins.core.services import global_pins, pinned_conversations
from chatpins.core.services.pinned_conversations import ConversationItem

router = APIRouter(prefix="/v1", tags=["native"])


@router.get(
    "/users/{user_id}/conversations",
    response_model=None,
    responses=responses(400, 401, 403, 404, reply=ConversationPage),
)
async def list_conversations(
    user_id: str,
    actor: ActorDep,
    deps: DepsDep,
    limit: Annotated[int, Query(ge=1, le=pinned_conversations.MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(min_length=1, max_length=1024)] = None,
) -> dict[str, Any]:
    page = await pinned_conversations.list_conversations(
        deps, actor, user_id, limit=limit, cursor=cursor
    )
    return {"items": [_item(i) for i in page.items], "next_cursor": page.next_cursor}


@router.put(
    "/users/{user_id}/conversations/order",
    response_model=None,
    responses=responses(400, 401, 403, 404, reply=PinnedOrder),
)
async def reorder_conversations(
    user_id: str, body: ConversationOrder, actor: ActorDep, deps: DepsDep
) -> dict[str, Any]:
    order = await pinned_conversations.reorder(deps, actor, user_id, body.chat_ids)
    return {"pinned_order": [p.chat_id for p in order]}


@router.put(
    "/users/{user_id}/conversations/{chat_id}/pin",
    status_code=201,
    response_model=None,
    responses=responses(
        400, 401, 403, 404, 410, 422, reply=ConversationPinned, status=201, also=(200,)
    ),
)
async def pin_conversation(
    user_id: str,
    chat_id: str,
    actor: ActorDep,
    deps: DepsDep,
    response: Response,
    body: ConversationPinBody | None = None,
) -> dict[str, Any]:
    body = body or ConversationPinBody()
    outcome = await pinned_conversations.pin(
        deps,
        actor,
        user_id,
        chat_id,
        position=body.position,
        expires_at=body.deadline(deps.now(actor.app)),
    )
    if not outcome.created:
        response.status_code = 200
    return {
        "chat_id": outcome.pin.chat_id,
        "position": outcome.position,
        "pinned_at_ms": outcome.pin.pinned_at,
        "expires_at_ms": outcome.pin.expires_at,
        "pinned_order": [p.chat_id for p in outcome.order],
    }


@router.delete(
    "/users/{user_id}/conversations/{chat_id}/pin",
    response_model=None,
    responses=responses(400, 401, 403, 404, reply=PinnedOrder),
)
async def unpin_conversation(
    user_id: str, chat_id: str, actor: ActorDep, deps: DepsDep
) -> dict[str, Any]:
    order = await pinned_conversations.unpin(deps, actor, user_id, chat_id)
    return {"pinned_order": [p.chat_id for p in order]}


@router.put(
    "/chats/{chat_id}/global-pin",
    status_code=201,
    response_model=None,
    responses=responses(
        400, 401, 403, 404, 410, 422, reply=GlobalPinReply, status=201, also=(200,)
    ),
)
async def pin_globally(
    chat_id: str,
    actor: ActorDep,
    deps: DepsDep,
    response: Response,
    body: GlobalPinBody | None = None,
) -> dict[str, Any]:
    position = body.position if body is not None else None
    outcome = await global_pins.pin_globally(deps, actor, chat_id, position=position)
    if not outcome.created:
        response.status_code = 200
    return {
        "chat_id": outcome.pin.chat_id,
        "position": outcome.position,
        "pinned_at_ms": outcome.pin.pinned_at,
        "pinned_by": outcome.pin.pinned_by,
        "global_order": [p.chat_id for p in outcome.order],
    }


@router.delete(
    "/chats/{chat_id}/global-pin",
    response_model=None,
    responses=responses(400, 401, 403, 404, reply=GlobalOrder),
)
async def unpin_globally(chat_id: str, actor: ActorDep, deps: DepsDep) -> dict[str, Any]:
    order = await global_pins.unpin_globally(deps, actor, chat_id)
    return {"global_order": [p.chat_id for p in order]}


def _item(item: ConversationItem) -> dict[str, Any]:
    return {
        "chat_id": item.chat_id,
        "type": item.kind.value,
        "name": item.name,
        "pinned": item.pinned.value if item.pinned else None,
        "position": item.position,
        "last_activity_ms": item.last_activity_at,
        "pinned_at_ms": item.pinned_at,
        "expires_at_ms": item.expires_at,
    }

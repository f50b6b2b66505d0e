"""``GET /v1/capabilities``: the limits and policies this server enforces, so a client can
adapt instead of hard-coding them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from chatpins.api.errors import responses
from chatpins.api.native.auth import ActorDep
from chatpins.api.native.schemas import MAX_NOTE, MAX_TTL_S
from chatpins.core.entities import Overflow, PinRight, Role
from chatpins.core.services import global_pins, pin_batches, pin_lists, pinned_conversations
from chatpins.core.services.chats import MAX_PINS_CAP

router = APIRouter(prefix="/v1", tags=["native"])


class CapabilitiesReply(BaseModel):
    dialects: list[str]
    openapi: dict[str, str]  # dialect -> its OpenAPI document's path
    pins: dict[str, Any]
    batch: dict[str, Any]
    history: dict[str, Any]
    conversations: dict[str, Any]


@router.get("/capabilities", response_model=None, responses=responses(401, reply=CapabilitiesReply))
async def capabilities(request: Request, actor: ActorDep) -> dict[str, Any]:
    return {
        "dialects": request.app.state.dialects,
        "openapi": request.app.state.dialect_openapi.urls(),
        "pins": {
            "max_pins": {"min": 1, "max": MAX_PINS_CAP, "unlimited": None},
            "overflow": [o.value for o in Overflow],
            "rights": [r.value for r in PinRight],
            "roles": [Role.MEMBER.value, Role.ADMIN.value, Role.OWNER.value],
            "max_note_characters": MAX_NOTE,
            "max_ttl_seconds": MAX_TTL_S,
        },
        "batch": {
            "max_operations": pin_batches.MAX_OPERATIONS,
            "idempotency_window_seconds": pin_batches.IDEMPOTENCY_WINDOW_MS // 1000,
        },
        "history": {"max_page": pin_lists.MAX_HISTORY_PAGE},
        "conversations": {
            "pin_cap": actor.app.conversation_pin_cap,
            "max_global_pins": global_pins.MAX_GLOBAL_PINS,
            "max_page": pinned_conversations.MAX_PAGE,
        },
    }

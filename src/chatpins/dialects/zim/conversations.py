"""ConvPinned and QueryConversationList (zim.md §6)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from chatpins.core.entities import ChatKind
from chatpins.core.errors import ChatpinsError
from chatpins.core.services import conversations
from chatpins.core.services.conversations import ConversationRef
from chatpins.dialects.zim import schemas
from chatpins.dialects.zim.errors import from_core, lookup, sub
from chatpins.dialects.zim.gateway import Call
from chatpins.dialects.zim.wire import batch, ok

MAX_CONV_LIST = 20
CONV_TYPES = {0: ChatKind.P2P, 2: ChatKind.GROUP}
WIRE_TYPES = {ChatKind.P2P: 0, ChatKind.GROUP: 2}
DEFAULT_LIMIT = 100
MAX_LIMIT = 500


async def conv_pinned(call: Call) -> Response:
    body = call.body
    from_user_id = schemas.require_id(body, "FromUserId")
    items = schemas.object_items(
        schemas.list_field(body, "ConvList", high=MAX_CONV_LIST), "ConvList"
    )
    pinned = schemas.int_field(body, "PinnedType", choices=(0, 1)) == 1
    actor = await call.actor(from_user_id)

    # A malformed item fails alone with SubCode 660000002 (the vendor's own example); the rest
    # go to core as one batch. ``failed`` and ``places`` are keyed by ConvList position.
    failed: dict[int, dict[str, Any]] = {}
    refs: list[ConversationRef] = []
    places: list[int] = []  # refs[k] is ConvList item places[k]
    for place, item in enumerate(items):
        conv_id: Any = item.get("ConvId")  # a str once id_problem finds nothing
        conv_type: Any = item.get("ConvType")
        if (
            schemas.id_problem(conv_id) is not None
            or not schemas.is_int(conv_type)
            or conv_type not in CONV_TYPES
        ):
            failed[place] = _failure(conv_id, conv_type, *lookup("invalid_param"))
        else:
            refs.append(ConversationRef(CONV_TYPES[conv_type], conv_id))
            places.append(place)
    outcomes = await conversations.set_pinned(call.deps, actor, refs, pinned) if refs else []
    attempted = len(failed) + len(outcomes)  # core answers a repeated conversation once
    for o in outcomes:
        if o.error is not None:
            failed[places[o.item]] = _failure(o.ref.id, WIRE_TYPES[o.ref.kind], *sub(o.error))
    return batch("ErrorList", [failed[place] for place in sorted(failed)], attempted)


def _failure(conv_id: Any, conv_type: Any, code: int, message: str) -> dict[str, Any]:
    return {
        "ConvId": conv_id if isinstance(conv_id, str) else "",
        "ConvType": conv_type if schemas.is_int(conv_type) else 0,
        "SubCode": code,
        "SubMessage": message,
    }


async def query_conversation_list(call: Call) -> Response:
    body = call.body
    from_user_id = schemas.require_id(body, "FromUserId")
    limit = schemas.int_field(body, "Limit", default=DEFAULT_LIMIT)
    limit = DEFAULT_LIMIT if limit <= 0 else min(limit, MAX_LIMIT)
    offset = schemas.int_field(body, "Next", default=0, low=0)
    pinned_first = schemas.bool_field(body, "PinnedFirst")  # [chatpins extension]
    actor = await call.actor(from_user_id)
    try:
        page = await conversations.list_conversations(
            call.deps, actor, offset=offset, limit=limit, pinned_first=pinned_first
        )
    except ChatpinsError as exc:
        raise from_core(exc, "conversation_query_failed") from exc
    return ok(
        TotalCount=page.total,
        Next=page.next_offset or 0,
        List=[
            {
                "ConvId": c.ref.id,
                "ConvType": WIRE_TYPES[c.ref.kind],
                "UpdateTime": c.updated_at,
                "IsPinned": c.pin is not None,
                "PinnedTime": c.pin.pinned_at if c.pin else 0,
            }
            for c in page.items
        ],
    )

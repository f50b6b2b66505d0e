"""What an event looks like on the wire, per format.

``native``: every event as ``{"type": "event", "event": {id, seq, type, audience,
created_at_ms, payload}}``. ``zim``: conversation pin changes as ZIM's ``conversationChanged``
(``{"type": "conversationChanged", "id", "seq", "infoList"}``), everything else (global pins and
reorders included) as native.
"""

from __future__ import annotations

import json
from typing import Any

from chatpins.core.entities import Event
from chatpins.core.events import EventType
from chatpins.delivery.hub import StreamEvent
from chatpins.dialects.zim.events import conversation_changed

FORMATS = ("native", "zim")


def native_event(event_id: str, event: Event) -> dict[str, Any]:
    return {
        "id": event_id,
        "seq": event.seq,
        "type": event.type,
        "audience": event.audience,
        "created_at_ms": event.created_at,
        "payload": event.payload,
    }


def _native_text(item: StreamEvent) -> str:
    return json.dumps({"type": "event", "event": native_event(item.id, item.event)})


def _zim_text(item: StreamEvent) -> str:
    if not _is_zim_conversation_change(item.event):
        return item.frame("native", _native_text)
    frame = {"type": "conversationChanged", "id": item.id, "seq": item.event.seq}
    return json.dumps(frame | conversation_changed(item.event))


def _is_zim_conversation_change(event: Event) -> bool:
    """A change to one conversation of one user's own list: what ZIM's ``conversationChanged``
    can say. Global pins and reorders have no ZIM shape; they go out as native events."""
    payload = event.payload
    return (
        event.type == EventType.CONVERSATION_CHANGED
        and payload.get("scope", "user") == "user"
        and payload.get("conversation") is not None
    )


_RENDER = {"native": _native_text, "zim": _zim_text}


def frame_text(item: StreamEvent, format_: str) -> str:
    """The event's text frame in ``format_``, rendered once and shared by every subscriber."""
    return item.frame(format_, _RENDER[format_])

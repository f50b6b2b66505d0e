"""ZIM's client-side ``conversationChanged`` shape for a conversation pin change (zim.md §8).

One change info per changed conversation, ``event`` 1 (Updated) and ``action`` 2 (Updated),
with ``isPinned``, ``pinnedTime`` (ms, 0 when unpinned) and ``orderKey`` (the conversation's
last activity, ms) **(payload mapping ours)**.
"""

from __future__ import annotations

from typing import Any

from chatpins.core.entities import ChatKind, Event
from chatpins.dialects.zim.conversations import WIRE_TYPES

CONVERSATION_UPDATED = 1  # ZIMConversationEvent.Updated
ACTION_UPDATED = 2  # ZIMConversationListChangeAction.Updated


def conversation_changed(event: Event) -> dict[str, Any]:
    conversation = event.payload["conversation"]
    return {
        "infoList": [
            {
                "event": CONVERSATION_UPDATED,
                "action": ACTION_UPDATED,
                "conversation": {
                    "conversationID": conversation["conversation_id"],
                    "type": WIRE_TYPES[
                        ChatKind.P2P if conversation["type"] == "peer" else ChatKind.GROUP
                    ],
                    "isPinned": conversation["is_pinned"],
                    "pinnedTime": conversation["pinned_at"],
                    "orderKey": conversation["order_key"],
                },
            }
        ]
    }

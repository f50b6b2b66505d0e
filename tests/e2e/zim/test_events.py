"""ConvPinned writes one conversation.changed event per changed conversation, for the pinning
user only, carrying the user's whole new pinned order (ZIM's conversationChanged)."""

from __future__ import annotations

import httpx

from tests.e2e.zim.client import Zim


def test_conv_pinned_writes_conversation_changed_for_the_user(
    zim: Zim, admin: httpx.Client
) -> None:
    zim.register("alice", "bob", "carol")
    reply = zim.pin("alice", [("bob", 0), ("carol", 0), ("ghost", 0)])
    assert reply["Code"] == 0
    events = admin.get(f"/v1/apps/{zim.app_id}/events").json()["events"]
    changed = [e for e in events if e["type"] == "conversation.changed"]
    assert [e["audience"] for e in changed] == ["user:alice", "user:alice"]
    first, last = changed[0]["payload"], changed[-1]["payload"]
    assert last["conversation"]["is_pinned"] is True
    assert [first["conversation"]["conversation_id"], last["conversation"]["conversation_id"]] == [
        "bob",
        "carol",
    ]
    # One event per changed conversation, each with the user's whole pinned order after the
    # batch: bob's conversation, then carol's.
    conversations = [first["conversation"]["chat_id"], last["conversation"]["chat_id"]]
    assert first["pinned_order"] == last["pinned_order"] == conversations
    zim.pin("alice", [("bob", 0)])  # already pinned: no change, no event
    again = admin.get(f"/v1/apps/{zim.app_id}/events").json()["events"]
    assert len([e for e in again if e["type"] == "conversation.changed"]) == 2

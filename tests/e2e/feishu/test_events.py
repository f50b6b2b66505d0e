"""Every change writes its event in the same transaction; the native outbox read returns them
in ``seq`` order and resumes from a cursor."""

from __future__ import annotations

from tests.e2e.feishu_client import Feishu


def _events(feishu: Feishu, after: int = 0, limit: int = 100) -> dict:
    reply = feishu.admin.get(
        f"/v1/apps/{feishu.app['id']}/events", params={"after": after, "limit": limit}
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_changes_are_events_in_seq_order(feishu: Feishu) -> None:
    chat_id, message_id = feishu.chat_with_message()
    pin = feishu.pin_ok(message_id)
    feishu.expect_ok(feishu.unpin(message_id))
    feishu.expect_error(feishu.pin("om_" + "0" * 32), 230001)  # refused: no event
    events = _events(feishu)["events"]
    assert [e["type"] for e in events] == [
        "chat.created",
        "message.sent",
        "pin.created",
        "pin.deleted",
    ]
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    created = events[2]["payload"]
    assert created["chat_id"] == chat_id and created["message_id"] == message_id
    assert created["actor"] == feishu.app_id and created["version"] == 1
    assert created["at"] == int(pin.create_time)
    assert events[3]["payload"]["version"] == 2
    assert all(e["audience"] == f"chat:{chat_id}" for e in events)


def test_reading_resumes_after_a_cursor(feishu: Feishu) -> None:
    chat_id = feishu.create_chat()
    feishu.send_texts(chat_id, 3)
    first = _events(feishu, limit=2)
    assert [e["seq"] for e in first["events"]] == [1, 2]
    rest = _events(feishu, after=first["next_after"])
    assert [e["seq"] for e in rest["events"]] == [3, 4]
    assert _events(feishu, after=4) == {"events": [], "next_after": 4}


def test_events_of_other_apps_are_never_listed(feishu_factory) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = feishu_factory(), feishu_factory()
    theirs.chat_with_message()
    assert _events(mine)["events"] == []

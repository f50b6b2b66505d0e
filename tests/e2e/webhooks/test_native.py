"""Native webhooks: signed deliveries, retries until delivered, a dead endpoint paused alone."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks import WebhookVerificationError

from tests.e2e.live_server import Server
from tests.e2e.webhooks.conftest import Receiver, hook_app

EVENTS = 30


def _verified(secret: str, received: list) -> list[dict]:
    """Every delivery checked by the Standard Webhooks reference library."""
    verifier = StandardWebhook(secret)
    return [verifier.verify(r.body, r.headers) for r in received]


def test_a_failing_receiver_still_gets_every_event_once_after_deduplication(
    quick_server: Server, receiver: Receiver
) -> None:
    # Each event's first two attempts fail (500, then a 502 "bad gateway").
    def flaky(request, _before):  # type: ignore[no-untyped-def]
        attempt = sum(
            1
            for r in receiver.at("/flaky")
            if r.headers["webhook-id"] == request.headers["webhook-id"]
        )
        return (500, b"oops") if attempt == 1 else (502, b"") if attempt == 2 else (204, b"")

    receiver.on("/flaky", flaky)
    app = hook_app(quick_server)
    hook = app.add_webhook(url=receiver.url("/flaky"))
    assert hook["secret"].startswith("whsec_") and hook["status"] == "active"
    app.make_events(EVENTS)

    def all_delivered() -> bool:
        return (
            len([d for d in app.deliveries(hook["id"], limit=1000) if d["status"] == "delivered"])
            == EVENTS
        )

    receiver.wait_for(all_delivered)
    succeeded = [r for r in receiver.at("/flaky") if r.headers["webhook-id"]]
    events = _verified(hook["secret"], succeeded)
    by_id = Counter(e["id"] for e in events)
    assert len(by_id) == EVENTS and all(n == 3 for n in by_id.values())  # 2 failures + success
    unique = {e["id"]: e for e in events}
    assert sorted(e["seq"] for e in unique.values()) == list(range(1, EVENTS + 1))
    assert {e["app_id"] for e in unique.values()} == {app.id}
    assert Counter(e["type"] for e in unique.values()) == {
        "chat.created": 1,
        "message.sent": EVENTS - 1,
    }
    # The delivery log shows each attempt.
    first = app.deliveries(hook["id"], limit=1)[0]
    assert first["attempts"] == 3 and first["status"] == "delivered"
    assert [a["status_code"] for a in first["attempt_log"]] == [500, 502, 204]
    assert first["attempt_log"][1]["error"] == "HTTP 502"
    assert app.webhook(hook["id"])["consecutive_failures"] == 0


def test_signatures_are_checkable_and_forgeries_are_not(
    quick_server: Server, receiver: Receiver
) -> None:
    app = hook_app(quick_server)
    hook = app.add_webhook(url=receiver.url("/signed"), event_types=["chat.*"])
    app.make_events(3)
    receiver.wait_for(lambda: len(receiver.at("/signed")) == 1)
    request = receiver.at("/signed")[0]
    event = _verified(hook["secret"], [request])[0]
    assert event["type"] == "chat.created"  # message.sent was not subscribed to
    tampered = request.body.replace(b"chat.created", b"chat.dissolved")
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(hook["secret"]).verify(tampered, request.headers)
    other = app.add_webhook(url=receiver.url("/other"))
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(other["secret"]).verify(request.body, request.headers)
    assert json.loads(request.body)["id"] == request.headers["webhook-id"]


@pytest.mark.pause_after(4)
def test_a_dead_endpoint_is_paused_without_holding_up_the_others(
    quick_server: Server, receiver: Receiver
) -> None:
    alive = {"yes": False}
    receiver.on("/dead", lambda _r, _n: (200, b"") if alive["yes"] else (503, b"down"))
    app = hook_app(quick_server)
    dead = app.add_webhook(url=receiver.url("/dead"))
    healthy = app.add_webhook(url=receiver.url("/healthy"))
    app.make_events(10)
    receiver.wait_for(lambda: app.webhook(dead["id"])["status"] == "paused")
    receiver.wait_for(lambda: len({r.headers["webhook-id"] for r in receiver.at("/healthy")}) == 10)
    paused = app.webhook(dead["id"])
    assert paused["consecutive_failures"] >= 4 and paused["paused_at"]
    tried = len(receiver.at("/dead"))
    app.make_events(3, room="room-2")  # more events while paused: kept, not sent
    receiver.wait_for(lambda: len({r.headers["webhook-id"] for r in receiver.at("/healthy")}) == 13)
    assert len(receiver.at("/dead")) <= tried + 1  # at most an attempt already in flight
    assert app.webhook(healthy["id"])["status"] == "active"

    alive["yes"] = True
    reply = app.admin.patch(f"/v1/apps/{app.id}/webhooks/{dead['id']}", json={"status": "active"})
    assert reply.status_code == 200 and reply.json()["status"] == "active"
    receiver.wait_for(
        lambda: (
            len({r.headers["webhook-id"] for r in receiver.at("/dead")}) == 13
            and all(d["status"] == "delivered" for d in app.deliveries(dead["id"]))
        )
    )
    seqs = {e["seq"] for e in _verified(dead["secret"], receiver.at("/dead"))}
    assert seqs == set(range(1, 14))

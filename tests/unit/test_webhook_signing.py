"""Native signatures checked by the Standard Webhooks reference library."""

from __future__ import annotations

import base64
import time

import pytest
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks import WebhookVerificationError

from chatpins.delivery import signing

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef01234567").decode()


def test_the_reference_library_accepts_our_signature() -> None:
    body = b'{"id":"e1","type":"pin.created"}'
    now = int(time.time())
    headers = signing.headers(SECRET, "e1", now, body)
    assert StandardWebhook(SECRET).verify(body, headers) == {"id": "e1", "type": "pin.created"}
    assert headers["webhook-signature"].startswith("v1,")


def test_a_changed_body_id_or_timestamp_fails() -> None:
    body, now = b'{"a":1}', int(time.time())
    headers = signing.headers(SECRET, "e1", now, body)
    verifier = StandardWebhook(SECRET)
    for changed_body, changed in (
        (b'{"a":2}', headers),
        (body, {**headers, "webhook-id": "e2"}),
        (body, {**headers, "webhook-timestamp": str(now - 1)}),
    ):
        with pytest.raises(WebhookVerificationError):
            verifier.verify(changed_body, changed)


def test_an_old_timestamp_is_refused_by_receivers() -> None:
    old = int(time.time()) - 3600
    headers = signing.headers(SECRET, "e1", old, b"{}")
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(SECRET).verify(b"{}", headers)

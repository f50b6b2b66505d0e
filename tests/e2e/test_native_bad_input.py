"""Every integer of the native API has a declared range: a value outside it (2**63 and beyond,
which no BIGINT holds, or a negative count) is answered 400 ``invalid_argument`` with the error
body, never a 500, and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.feishu_client import Feishu

INT64_MAX = 2**63 - 1
# Beyond any 64-bit column, then just past the largest value each field documents.
huge = st.integers(min_value=2**63, max_value=2**256) | st.sampled_from([2**63, 2**64, 10**30])
negative = st.integers(max_value=-1) | st.just(-(2**63) - 1)

# Text no backend can store and render back: NUL (PostgreSQL refuses it) or a lone surrogate
# (not UTF-8), somewhere in otherwise ordinary text.
unstorable = st.builds(
    lambda head, bad, tail: head + bad + tail,
    st.text(max_size=6),
    st.just("\x00") | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    st.text(max_size=6),
)

BAD_INPUT = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _assert_refused(reply: httpx.Response) -> None:
    assert reply.status_code == 400, (reply.status_code, reply.text)
    error = reply.json()["error"]
    assert error["code"] == "invalid_argument"
    assert isinstance(error["message"], str) and error["message"]


class Snapshot:
    """What a refused request must leave as it was: the app and its event outbox."""

    def __init__(self, feishu: Feishu) -> None:
        self.feishu = feishu
        self.before = self.take()

    def take(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        app_id = self.feishu.app["id"]
        admin = self.feishu.admin
        app = admin.get(f"/v1/apps/{app_id}")
        events = admin.get(f"/v1/apps/{app_id}/events", params={"after": 0, "limit": 1000})
        webhooks = admin.get(f"/v1/apps/{app_id}/webhooks")
        assert app.status_code == events.status_code == webhooks.status_code == 200
        return app.json(), events.json(), webhooks.json()

    def assert_unchanged(self) -> None:
        assert self.take() == self.before
        assert self.feishu.admin.get("/v1/health").status_code == 200


@pytest.fixture
def snapshot(feishu: Feishu) -> Snapshot:
    feishu.add_user("alice")
    return Snapshot(feishu)


@BAD_INPUT
@given(
    field=st.sampled_from(
        ["api_rate_per_second", "api_rate_per_minute", "message_rate_per_second"]
    ),
    value=huge | negative | st.integers(min_value=1_000_001, max_value=INT64_MAX),
)
def test_app_rates_out_of_range_are_refused(snapshot: Snapshot, field: str, value: int) -> None:
    feishu = snapshot.feishu
    _assert_refused(feishu.admin.patch(f"/v1/apps/{feishu.app['id']}", json={field: value}))
    snapshot.assert_unchanged()


@BAD_INPUT
@given(
    params=st.one_of(
        st.fixed_dictionaries({"after": huge | negative}),
        st.fixed_dictionaries(
            {"limit": huge | negative | st.integers(1001, INT64_MAX) | st.just(0)}
        ),
    )
)
def test_event_cursor_and_page_out_of_range_are_refused(
    snapshot: Snapshot, params: dict[str, int]
) -> None:
    feishu = snapshot.feishu
    _assert_refused(feishu.admin.get(f"/v1/apps/{feishu.app['id']}/events", params=params))
    snapshot.assert_unchanged()


@BAD_INPUT
@given(ttl=huge | negative | st.just(0) | st.integers(30 * 24 * 3600 + 1, INT64_MAX))
def test_token_lifetime_out_of_range_is_refused(snapshot: Snapshot, ttl: int) -> None:
    feishu = snapshot.feishu
    reply = feishu.admin.post(
        f"/v1/apps/{feishu.app['id']}/tokens",
        json={"user_id": "alice", "dialect": "feishu", "ttl_seconds": ttl},
    )
    _assert_refused(reply)
    snapshot.assert_unchanged()


@pytest.mark.parametrize("dialect", ["zim", "native-ish", "FEISHU"])
def test_a_token_for_a_dialect_without_user_tokens_is_refused(
    snapshot: Snapshot, dialect: str
) -> None:
    """ZIM signs every request with the server secret: it has no user tokens to issue."""
    feishu = snapshot.feishu
    reply = feishu.admin.post(
        f"/v1/apps/{feishu.app['id']}/tokens",
        json={"user_id": feishu.app["feishu"]["app_id"], "dialect": dialect},
    )
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["code"] == "unsupported_dialect"
    snapshot.assert_unchanged()


@pytest.fixture
def message(feishu: Feishu) -> tuple[Snapshot, str]:
    _chat_id, message_id = feishu.chat_with_message()
    return Snapshot(feishu), message_id


@BAD_INPUT
@given(at=huge | negative | st.integers(253_402_300_800_000, INT64_MAX))
def test_self_destruct_time_out_of_range_is_refused(message: tuple[Snapshot, str], at: int) -> None:
    snapshot, message_id = message
    feishu = snapshot.feishu
    reply = feishu.admin.patch(
        f"/v1/apps/{feishu.app['id']}/messages/{message_id}", json={"self_destruct_at_ms": at}
    )
    _assert_refused(reply)
    snapshot.assert_unchanged()


@BAD_INPUT
@given(after=huge | negative)
def test_webhook_start_cursor_out_of_range_is_refused(snapshot: Snapshot, after: int) -> None:
    feishu = snapshot.feishu
    reply = feishu.admin.post(
        f"/v1/apps/{feishu.app['id']}/webhooks",
        json={"url": "https://hooks.example.com/in", "after": after},
    )
    _assert_refused(reply)
    snapshot.assert_unchanged()


@BAD_INPUT
@given(
    params=st.one_of(
        st.fixed_dictionaries({"after_seq": huge | negative}),
        st.fixed_dictionaries({"limit": huge | negative | st.just(0)}),
    )
)
def test_delivery_cursor_and_page_out_of_range_are_refused(
    snapshot: Snapshot, params: dict[str, int]
) -> None:
    feishu = snapshot.feishu
    path = f"/v1/apps/{feishu.app['id']}/webhooks/wh_unknown/deliveries"
    _assert_refused(feishu.admin.get(path, params=params))
    snapshot.assert_unchanged()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"api_rate_per_second": 1_000_000}, "api_rate_per_second"),
        ({"message_rate_per_second": 0}, "message_rate_per_second"),
    ],
)
def test_rates_at_the_edge_of_their_range_are_accepted(
    feishu: Feishu, body: dict[str, int], field: str
) -> None:
    assert feishu.patch_app(**body)["settings"][field] == body[field]


def test_the_latest_self_destruct_time_is_accepted(feishu: Feishu) -> None:
    _chat_id, message_id = feishu.chat_with_message()
    latest = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
    assert feishu.patch_message(message_id, self_destruct_at_ms=latest)["self_destruct_at_ms"] == (
        latest
    )
    # Stored as a time far ahead: the message waits to self-destruct (Feishu 230111).
    feishu.expect_error(feishu.pin(message_id), 230111)


def test_the_last_cursor_a_bigint_holds_is_accepted(feishu: Feishu) -> None:
    reply = feishu.admin.get(f"/v1/apps/{feishu.app['id']}/events", params={"after": INT64_MAX})
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"events": [], "next_after": INT64_MAX}


@BAD_INPUT
@given(
    text=unstorable,
    target=st.sampled_from(["app name", "user name", "user avatar", "webhook event type"]),
)
def test_unstorable_text_in_a_body_is_refused(snapshot: Snapshot, text: str, target: str) -> None:
    feishu = snapshot.feishu
    base = f"/v1/apps/{feishu.app['id']}"
    method, path, body = {
        "app name": ("PATCH", base, {"name": text}),
        "user name": ("POST", f"{base}/users", {"id": "bob", "name": text}),
        "user avatar": ("POST", f"{base}/users", {"id": "bob", "avatar": text}),
        "webhook event type": (
            "POST",
            f"{base}/webhooks",
            {"url": "https://hooks.example.com/in", "event_types": [text]},
        ),
    }[target]
    # JSON escapes (\u0000, \ud800): the only way a lone surrogate reaches a server.
    content = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    _assert_refused(feishu.admin.request(method, path, content=content, headers=headers))
    snapshot.assert_unchanged()
    # No user was created either: none can be issued a token.
    probe = feishu.admin.post(f"{base}/tokens", json={"user_id": "bob"})
    assert probe.status_code == 404 and probe.json()["error"]["reason"] == "user_not_found"

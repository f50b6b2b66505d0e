"""The native `/v1` API under hostile input (README "Provisioning", docs/events.md).

Any structure at the fields each endpoint reads (depth up to 10,000, surrogates, NUL, huge
integers, repeated keys, wrong types), garbage with any Content-Type, hostile queries, path ids
and credentials: 2xx JSON or a 4xx `{"error": {"code", "message"}}`, never a 5xx; the server
stays live; a refused request changes nothing — neither the outbox nor the app's settings or
webhooks.

Webhook URLs are only ever loopback URLs to a closed port (or not URLs at all): a fuzzed
webhook must not send traffic anywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.e2e.fuzz import envelopes
from tests.e2e.fuzz import strategies as s
from tests.e2e.fuzz.harness import (
    OVERSIZE_BUDGET_S,
    Verdict,
    bind,
    bind_payload,
    cases,
    post_streamed,
    send,
)
from tests.e2e.fuzz.world import FuzzApp, describe

HOOK_URL = "http://127.0.0.1:1/hook"
WEBHOOK_KEYS = ("id", "url", "format", "event_types")
State = tuple[dict[str, Any], list[dict[str, Any]]]
text = st.text(max_size=20)
user_ids = st.sampled_from(["alice", "bob", "newbie"])
rates = st.integers(0, 100)

SETTINGS_FIELDS: dict[str, st.SearchStrategy[object] | s.Only | None] = {
    "name": text,
    "bot_enabled": st.just(True),
    "pin_scope_granted": st.just(True),
    "unavailable_user_ids": st.lists(user_ids, max_size=2),
    "api_rate_per_second": st.just(0),
    "api_rate_per_minute": st.just(0),
    "message_rate_per_second": st.just(0),
    "zim_rate_limits": st.just(False),
}
USER_FIELDS: dict[str, st.SearchStrategy[object] | s.Only | None] = {
    "id": user_ids,
    "name": text,
    "is_bot": st.booleans(),
    "avatar": text,
}
TOKEN_FIELDS: dict[str, st.SearchStrategy[object] | s.Only | None] = {
    "user_id": user_ids,
    "dialect": st.sampled_from(["feishu", "imkit", "zim"]),
    "ttl_seconds": st.integers(-1, 10**6),
}
MESSAGE_FIELDS: dict[str, st.SearchStrategy[object] | s.Only | None] = {
    "self_destruct_at_ms": st.integers(0, 2**45),
    "visible_to": st.lists(user_ids, max_size=2),
}
WEBHOOK_FIELDS: dict[str, st.SearchStrategy[object] | s.Only | None] = {
    "url": s.Only(s.loopback_url()),
    "format": st.sampled_from(["native", "feishu", "zim"]),
    "event_types": st.lists(st.sampled_from(["pin.*", "pin.created", "nope", ""]), max_size=3),
    "after": st.integers(0, 10),
    "status": st.sampled_from(["active", "paused", "dead"]),
    "feishu": s.Only(s.object_body({"verification_token": text, "encrypt_key": text}) | s.scalar),
}
AUTHS = st.sampled_from(["admin", "none", "Bearer wrong", "Basic YTpi", "Bearer " + "a" * 10_000])


@dataclass
class Native:
    app: FuzzApp
    message_id: str
    chat_id: str
    webhook_id: str

    @property
    def names(self) -> dict[str, str]:
        return {
            "app": self.app.app_id,
            "message": self.message_id,
            "webhook": self.webhook_id,
        }

    def request(
        self, method: str, target: str, payload: s.Payload | None = None, auth: str = "admin"
    ) -> httpx.Response:
        headers = {}
        if auth == "admin":
            headers["Authorization"] = str(self.app.admin.headers["Authorization"])
        elif auth != "none":
            headers["Authorization"] = auth
        bound = bind_payload(payload, self.names) if payload is not None else None
        return send(self.app.http, method, bind(target, self.names), bound, headers)

    def state(self) -> State:
        """The app's name and settings and its webhooks' registration, as a refused request must
        leave them. (Delivery state — failures, cursor — moves on its own and is left out.)"""
        app = self.request("GET", f"/v1/apps/{self.app.app_id}")
        hooks = self.request("GET", f"/v1/apps/{self.app.app_id}/webhooks")
        assert app.status_code == 200 and hooks.status_code == 200, (describe(app), describe(hooks))
        listed = hooks.json()
        items = listed.get("webhooks", listed) if isinstance(listed, dict) else listed
        registered = [{k: hook.get(k) for k in WEBHOOK_KEYS} for hook in items]
        return {k: app.json().get(k) for k in ("name", "settings")}, registered

    def reads(self) -> tuple[Callable[[], None], ...]:
        return (self.app.feishu_reads(self.chat_id), self.app.imkit_reads(self.chat_id))

    def finish(
        self,
        verdict: Verdict,
        case: object,
        before: State,
        *,
        always_read: bool = False,
    ) -> None:
        self.app.check(verdict, case, self.reads(), always_read=always_read)
        if verdict.refused:
            assert self.state() == before, f"refused request changed the app: {case!r}"


@pytest.fixture
def native(fuzz_app: FuzzApp) -> Iterator[Native]:
    feishu = fuzz_app.feishu
    feishu.add_users("alice", "bob")
    chat_id = feishu.create_chat(members=["alice", "bob"], name="fuzz")
    message_id = feishu.send_text(chat_id, "hello")
    hook = fuzz_app.admin.post(f"/v1/apps/{fuzz_app.app_id}/webhooks", json={"url": HOOK_URL})
    # Production mode (PostgreSQL) refuses loopback targets: then PATCH cases meet a 404.
    webhook_id = hook.json()["id"] if hook.status_code == 201 else "wh_missing"
    fuzz_app.outbox.catch_up()
    native = Native(fuzz_app, message_id, chat_id, webhook_id)
    yield native
    # Whatever the cases left behind (refused ones included), the chat still reads.
    for read in native.reads():
        read()


ROUTES: list[tuple[str, str, dict[str, st.SearchStrategy[object] | s.Only | None]]] = [
    ("POST", "/v1/apps", {"name": text}),
    ("PATCH", "/v1/apps/@app@", SETTINGS_FIELDS),
    ("POST", "/v1/apps/@app@/users", USER_FIELDS),
    ("POST", "/v1/apps/@app@/tokens", TOKEN_FIELDS),
    ("PATCH", "/v1/apps/@app@/messages/@message@", MESSAGE_FIELDS),
    ("POST", "/v1/apps/@app@/webhooks", WEBHOOK_FIELDS),
    ("PATCH", "/v1/apps/@app@/webhooks/@webhook@", WEBHOOK_FIELDS),
]


@st.composite
def routed_bodies(draw: st.DrawFn) -> tuple[str, str, s.Payload]:
    method, path, fields = draw(st.sampled_from(ROUTES))
    return method, path, draw(s.payloads(s.bodies(fields)))


# ----------------------------------------------------------------------------- generated


@cases(5)
@given(case=routed_bodies(), auth=st.sampled_from(["admin", "admin", "admin"]) | AUTHS)
def test_every_write_answers_any_body(
    native: Native, case: tuple[str, str, s.Payload], auth: str
) -> None:
    method, path, payload = case
    before = native.state()
    reply = native.request(method, path, payload, auth)
    native.finish(envelopes.native(reply, (method, path, auth, payload)), case, before)


@cases(1.5)
@given(
    route=st.sampled_from(
        [
            "/v1/apps/{id}",
            "/v1/apps/{id}/users",
            "/v1/apps/@app@/messages/{id}",
            "/v1/apps/@app@/webhooks/{id}",
            "/v1/apps/@app@/webhooks/{id}/deliveries",
        ]
    ),
    path_id=s.path_id(),
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE"]),
    payload=s.payloads(s.bodies({"name": text, "id": user_ids})),
)
def test_hostile_path_ids_answer_the_envelope(
    native: Native, route: str, path_id: str, method: str, payload: s.Payload
) -> None:
    before = native.state()
    target = route.replace("{id}", path_id)
    reply = native.request(method, target, payload)
    verdict = envelopes.native(reply, (method, target, payload))
    native.finish(verdict, (method, target, payload), before)


@cases(1.5)
@given(
    target=st.one_of(
        s.query_string({"after": st.integers(0, 5).map(str), "limit": rates.map(str)}).map(
            lambda q: f"/v1/apps/@app@/events?{q}"
        ),
        s.query_string(
            {
                "status": st.sampled_from(["pending", "delivered", "failed", "x"]),
                "after_seq": st.integers(0, 5).map(str),
                "limit": rates.map(str),
            }
        ).map(lambda q: f"/v1/apps/@app@/webhooks/@webhook@/deliveries?{q}"),
    ),
    auth=st.sampled_from(["admin", "admin"]) | AUTHS,
)
def test_reads_answer_any_query(native: Native, target: str, auth: str) -> None:
    before = native.state()
    reply = native.request("GET", target, None, auth)
    native.finish(envelopes.native(reply, (target, auth)), (target, auth), before)


# ----------------------------------------------------------------------------- regressions


@cases(1)
@given(
    case=st.sampled_from(
        [
            ("GET", "/v1/apps/@app@/events?after={n}", None),
            ("PATCH", "/v1/apps/@app@/messages/@message@", "self_destruct_at_ms"),
            ("PATCH", "/v1/apps/@app@", "api_rate_per_second"),
            ("PATCH", "/v1/apps/@app@", "message_rate_per_second"),
            ("POST", "/v1/apps/@app@/tokens", "ttl_seconds"),
            ("POST", "/v1/apps/@app@/webhooks", "after"),
        ]
    ),
    value=s.huge_integers,
)
@example(case=("GET", "/v1/apps/@app@/events?after={n}", None), value=2**63)
@example(case=("PATCH", "/v1/apps/@app@/messages/@message@", "self_destruct_at_ms"), value=2**63)
@example(case=("PATCH", "/v1/apps/@app@", "api_rate_per_second"), value=2**63)
def test_out_of_range_integers_are_a_400(
    native: Native, case: tuple[str, str, str | None], value: int
) -> None:
    method, target, field = case
    payload = None
    if field is not None:
        extra = b',"user_id":"alice"' if field == "ttl_seconds" else b""
        extra += b',"url":"' + HOOK_URL.encode() + b'"' if field == "after" else b""
        data = b'{"' + field.encode() + b'":' + str(value).encode() + extra + b"}"
        payload = s.Payload(data, "application/json", f"{field}={value}")
    before = native.state()
    reply = native.request(method, target.replace("{n}", str(value)), payload)
    verdict = envelopes.native(reply, (case, value))
    assert reply.status_code == 400, verdict.answer
    native.finish(verdict, (case, value), before, always_read=True)


@cases(1)
@given(
    payload=s.deep_bodies,
    target=st.sampled_from(["/v1/apps", "/v1/apps/@app@", "/v1/apps/@app@/users"]),
)
@example(payload=s.deep(1000, "list"), target="/v1/apps")
@example(payload=s.deep(10_000, "object"), target="/v1/apps/@app@")
def test_deep_body_is_a_400(native: Native, payload: s.Fragment, target: str) -> None:
    method = "PATCH" if target == "/v1/apps/@app@" else "POST"
    body = s.Payload(payload.data, "application/json", payload.label)
    before = native.state()
    reply = native.request(method, target, body)
    verdict = envelopes.native(reply, payload)
    assert reply.status_code == 400, verdict.answer
    native.finish(verdict, payload, before, always_read=True)


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "declared-length"])
@pytest.mark.parametrize("target", ["/v1/apps", "/v1/apps/@app@/users", "/v1/apps/@app@/webhooks"])
def test_body_over_1_mib_is_refused_before_auth(native: Native, target: str, chunked: bool) -> None:
    """The issue: the native API read whole bodies before checking the admin key."""
    path = bind(target, native.names)
    before = native.state()
    headers = {"Content-Type": "application/json"}
    reply, elapsed = post_streamed(native.app.base_url, path, headers, chunked=chunked)
    verdict = envelopes.native(reply, "streamed >1 MiB")
    assert reply.status_code in (400, 413), verdict.answer
    assert elapsed < OVERSIZE_BUDGET_S, f"size refusal took {elapsed:.2f} s"
    native.finish(verdict, "streamed >1 MiB", before, always_read=True)

"""Wire details the SDK depends on (feishu.md §1, §2, §4, §5): headers, envelopes, odd bodies."""

import http.client
import json
import secrets
import time
from urllib.parse import urlsplit

import httpx
import lark_oapi as lark
import pytest
from lark_oapi.api.im.v1 import CreateChatRequest, CreateChatRequestBody

PINS = "/open-apis/im/v1/pins"
JSON_UTF8 = "application/json; charset=utf-8"


def _raw(base_url, method, path, headers=None, body=None):
    """One request over http.client, which keeps response header names as sent."""
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        reply = conn.getresponse()
        return reply.status, reply.getheaders(), reply.read()
    finally:
        conn.close()


def _bearer(feishu):
    return {"Authorization": f"Bearer {feishu.tenant_token()}"}


def _post_pin_raw(feishu, content, content_type="application/json; charset=utf-8"):
    headers = {**_bearer(feishu), "Content-Type": content_type}
    return httpx.post(f"{feishu.base_url}{PINS}", content=content, headers=headers, timeout=30)


# ---- headers


@pytest.mark.parametrize(
    "case",
    [
        "success",
        "business-error",
        "no-token",
        "unknown-path",
        "wrong-method",
        "token-ok",
        "token-fail",
    ],
)
def test_every_reply_has_canonical_logid_and_content_type(feishu, case):
    chat_id = feishu.create_chat()
    auth = _bearer(feishu)
    token_body = json.dumps({"app_id": feishu.app_id, "app_secret": feishu.app_secret})
    request = {
        "success": ("GET", f"{PINS}?chat_id={chat_id}", auth, None),
        "business-error": ("GET", f"{PINS}?chat_id={chat_id}&page_size=0", auth, None),
        "no-token": ("GET", f"{PINS}?chat_id={chat_id}", {}, None),
        "unknown-path": ("GET", "/open-apis/im/v1/no_such_thing", auth, None),
        "wrong-method": ("PUT", PINS, auth, None),
        "token-ok": ("POST", "/open-apis/auth/v3/tenant_access_token/internal", {}, token_body),
        "token-fail": ("POST", "/open-apis/auth/v3/tenant_access_token/internal", {}, "{}"),
    }[case]
    status, headers, body = _raw(feishu.base_url, *request)
    names = dict(headers)
    assert "X-Tt-Logid" in names, f"header names as sent: {[n for n, _ in headers]}"
    assert names["X-Tt-Logid"]
    assert names.get("Content-Type") == JSON_UTF8, headers
    assert isinstance(json.loads(body)["code"], int)
    assert status in (200, 400, 404, 405)


def test_sdk_reads_log_id(feishu):
    chat_id, message_id = feishu.chat_with_message()
    ok = feishu.pin(message_id)
    failed = feishu.list_pins(chat_id, page_size=0)
    assert ok.success() and not failed.success()
    assert ok.get_log_id() and failed.get_log_id()
    assert ok.get_log_id() != failed.get_log_id()


def test_sdk_generic_request_parses_json_errors(feishu):
    """`client.request()` only parses bodies whose `Content-Type` header has exactly that case."""
    feishu.create_chat()
    request = (
        lark.BaseRequest.builder()
        .http_method(lark.HttpMethod.GET)
        .uri("/open-apis/im/v1/no_such_thing")
        .token_types({lark.AccessTokenType.TENANT})
        .build()
    )
    resp = feishu.client.request(request)
    assert resp.raw.status_code == 404
    assert resp.code == 99991201
    assert resp.get_log_id()


# ---- routing


@pytest.mark.parametrize(
    "path", ["/open-apis/im/v1/no_such_thing", "/open-apis/im/v2/pins", "/open-apis/"]
)
def test_unknown_path_answers_99991201(feishu, path):
    reply = httpx.get(f"{feishu.base_url}{path}", headers=_bearer(feishu))
    assert reply.status_code == 404
    assert reply.json()["code"] == 99991201
    assert reply.headers["content-type"] == JSON_UTF8


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", PINS),
        ("PATCH", PINS),
        ("POST", f"{PINS}/om_{'0' * 32}"),
        ("GET", f"{PINS}/om_{'0' * 32}"),
    ],
)
def test_wrong_method_answers_99991301(feishu, method, path):
    reply = httpx.request(method, f"{feishu.base_url}{path}", headers=_bearer(feishu))
    assert reply.status_code == 405
    assert reply.json()["code"] == 99991301
    assert reply.headers["content-type"] == JSON_UTF8


# ---- bodies the SDK cannot produce


def test_oversized_body_answers_230001_and_writes_nothing(feishu):
    chat_id, message_id = feishu.chat_with_message()
    body = json.dumps({"message_id": message_id, "padding": "x" * (1024 * 1024 + 16)})
    reply = _post_pin_raw(feishu, body)
    feishu.expect_error(reply, 230001)
    assert feishu.pinned_ids(chat_id) == []


@pytest.mark.parametrize(
    "shape",
    ["int", "list", "object", "null", "bool", "array-body", "not-json", "empty", "truncated"],
)
def test_malformed_pin_body_answers_230001(feishu, shape):
    chat_id, message_id = feishu.chat_with_message()
    body = {
        "int": json.dumps({"message_id": 123}),
        "list": json.dumps({"message_id": [message_id]}),
        "object": json.dumps({"message_id": {"id": message_id}}),
        "null": json.dumps({"message_id": None}),
        "bool": json.dumps({"message_id": True}),
        "array-body": json.dumps([{"message_id": message_id}]),
        "not-json": f"message_id={message_id}",
        "empty": "",
        "truncated": json.dumps({"message_id": message_id})[:-2],
    }[shape]
    feishu.expect_error(_post_pin_raw(feishu, body), 230001)
    assert feishu.pinned_ids(chat_id) == []


def test_pin_body_parsed_whatever_the_content_type(feishu):
    chat_id, message_id = feishu.chat_with_message()
    reply = _post_pin_raw(
        feishu, json.dumps({"message_id": message_id}), content_type="application/json"
    )
    assert reply.status_code == 200 and reply.json()["code"] == 0
    assert feishu.pinned_ids(chat_id) == [message_id]


def test_get_with_json_body_like_node_sdk(feishu):
    chat_id, message_id = feishu.chat_with_message()
    feishu.pin_ok(message_id)
    reply = httpx.request(
        "GET",
        f"{feishu.base_url}{PINS}",
        params={"chat_id": chat_id},
        content=b"{}",
        headers={
            **_bearer(feishu),
            "Content-Type": "application/json",
            "User-Agent": "oapi-node-sdk/1.74.0",
        },
    )
    assert reply.status_code == 200
    assert [p["message_id"] for p in reply.json()["data"]["items"]] == [message_id]


def test_delete_with_json_body_like_node_sdk(feishu):
    chat_id, message_id = feishu.chat_with_message()
    feishu.pin_ok(message_id)
    reply = httpx.request(
        "DELETE",
        f"{feishu.base_url}{PINS}/{message_id}",
        content=b"{}",
        headers={**_bearer(feishu), "Content-Type": "application/json"},
    )
    assert reply.status_code == 200 and reply.json() == {"code": 0, "msg": "success", "data": {}}
    assert feishu.pinned_ids(chat_id) == []


def test_chat_json_types_on_the_wire(feishu):
    chat_id = feishu.create_chat()
    reply = httpx.get(f"{feishu.base_url}/open-apis/im/v1/chats/{chat_id}", headers=_bearer(feishu))
    data = reply.json()["data"]
    assert isinstance(data["user_count"], str) and isinstance(data["bot_count"], str)
    assert isinstance(data["external"], bool)
    assert data["chat_status"] == "normal"


def test_lowercase_query_booleans_accepted(feishu):
    feishu.add_user("alice")
    reply = httpx.post(
        f"{feishu.base_url}/open-apis/im/v1/chats",
        params={"set_bot_manager": "true", "user_id_type": "open_id"},
        json={"name": "node chat", "owner_id": feishu.open_id("alice")},
        headers=_bearer(feishu),
    )
    assert reply.status_code == 200, reply.text
    chat_id = reply.json()["data"]["chat_id"]
    assert feishu.expect_ok(feishu.get_chat(chat_id)).bot_manager_id_list == [feishu.app_id]


def test_json_value_types_on_the_wire(feishu):
    chat_id, message_id = feishu.chat_with_message()
    created = _post_pin_raw(feishu, json.dumps({"message_id": message_id}))
    assert created.status_code == 200
    assert created.headers["content-type"] == JSON_UTF8
    body = created.json()
    assert body["code"] == 0 and isinstance(body["code"], int)
    assert body["msg"] == "success"
    pin = body["data"]["pin"]
    assert set(pin) >= {"message_id", "chat_id", "operator_id", "operator_id_type", "create_time"}
    assert isinstance(pin["create_time"], str) and pin["create_time"].isdigit()

    listed = httpx.get(
        f"{feishu.base_url}{PINS}", params={"chat_id": chat_id}, headers=_bearer(feishu)
    ).json()
    assert listed["data"]["has_more"] is False
    assert isinstance(listed["data"]["items"], list)

    failed = httpx.get(
        f"{feishu.base_url}{PINS}",
        params={"chat_id": chat_id, "page_size": "abc"},
        headers=_bearer(feishu),
    )
    assert failed.status_code == 400
    assert failed.json()["code"] == 230001


def test_non_ascii_text_round_trips(feishu):
    request = (
        CreateChatRequest.builder()
        .request_body(
            CreateChatRequestBody.builder().name("置顶测试 ✓").description("说明").build()
        )
        .build()
    )
    chat_id = feishu.expect_ok(feishu.client.im.v1.chat.create(request)).chat_id
    got = feishu.expect_ok(feishu.get_chat(chat_id))
    assert (got.name, got.description) == ("置顶测试 ✓", "说明")


@pytest.mark.parametrize(
    "message_id", ["om_ 你好", "om_" + "a" * 5000, "om_%2e%2e"], ids=["unicode", "long", "dots"]
)
def test_odd_path_parameters_answer_230001(feishu, message_id):
    chat_id, pinned = feishu.chat_with_message()
    feishu.pin_ok(pinned)
    feishu.expect_error(feishu.unpin(message_id), 230001)
    assert feishu.pinned_ids(chat_id) == [pinned]


# ---- connections


def test_idle_keep_alive_connection_survives_five_seconds(feishu):
    """The Node SDK reuses idle sockets for 5 s unless the server sends a Keep-Alive hint."""
    chat_id = feishu.create_chat()
    url = urlsplit(feishu.base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    path = f"{PINS}?chat_id={chat_id}"
    try:
        conn.request("GET", path, headers=_bearer(feishu))
        first = conn.getresponse()
        first.read()
        hint = first.getheader("Keep-Alive") or ""
        timeout = {k.strip(): v for k, _, v in (p.partition("=") for p in hint.split(","))}.get(
            "timeout"
        )
        if timeout is not None and int(timeout) <= 5:
            return  # the Node SDK honours the hint and will not reuse the socket that long
        time.sleep(5.5)
        conn.request("GET", path, headers=_bearer(feishu))
        second = conn.getresponse()
        assert second.status == 200
        assert json.loads(second.read())["code"] == 0
    finally:
        conn.close()


# ---- app-level rate limit (feishu.md §5)


def _rate_headers(resp):
    headers = {k.lower(): v for k, v in resp.raw.headers.items()}
    return int(headers["x-ogw-ratelimit-limit"]), int(headers["x-ogw-ratelimit-reset"])


def _burst(feishu, make_call, count):
    """`count` concurrent calls; returns the replies and one rate-limited reply.

    Windows may be fixed: a burst of a few ms crosses at most one window boundary, so with
    count > 2 * limit at least count - 2 * limit calls must be limited whatever the phase.
    """
    replies = feishu.run_concurrently(*(make_call() for _ in range(count)))
    limited = [r for r in replies if r.code == 99991400]
    assert limited, [r.code for r in replies]
    return replies, limited[0]


def test_per_second_rate_limit_answers_429(feishu):
    chat_id, message_id = feishu.chat_with_message()
    feishu.tenant_token()
    feishu.patch_app(api_rate_per_second=3)
    replies, limited = _burst(feishu, lambda: feishu.alist_pins(chat_id), 8)
    codes = [r.code for r in replies]
    assert set(codes) <= {0, 99991400}, codes
    assert 3 <= codes.count(0) <= 6, codes
    feishu.expect_error(limited, 99991400, status=429)
    limit, reset = _rate_headers(limited)
    assert limit == 3
    assert 0 <= reset <= 1

    feishu.pin_ok(message_id)  # limits are per endpoint
    time.sleep(reset + 1.05)
    assert [p.message_id for p in feishu.expect_ok(feishu.list_pins(chat_id)).items] == [message_id]


def test_per_minute_rate_limit_answers_429(feishu):
    chat_id = feishu.create_chat()
    feishu.tenant_token()
    feishu.patch_app(api_rate_per_minute=3)
    replies, limited = _burst(feishu, lambda: feishu.alist_pins(chat_id), 8)
    codes = [r.code for r in replies]
    assert set(codes) <= {0, 99991400}, codes
    assert 3 <= codes.count(0) <= 6, codes
    feishu.expect_error(limited, 99991400, status=429)
    limit, reset = _rate_headers(limited)
    assert limit == 3
    assert 0 <= reset <= 60


def test_rate_limit_is_per_app(feishu_factory):
    busy, calm = feishu_factory(), feishu_factory()
    busy_chat, calm_chat = busy.create_chat(), calm.create_chat()
    busy.patch_app(api_rate_per_second=1)
    _burst(busy, lambda: busy.alist_pins(busy_chat), 4)
    for _ in range(3):
        calm.expect_ok(calm.list_pins(calm_chat))


def test_rate_limit_checked_before_body(feishu):
    chat_id = feishu.create_chat()
    feishu.patch_app(api_rate_per_second=1)
    feishu.expect_ok(feishu.list_pins(chat_id))
    replies, _ = _burst(feishu, lambda: feishu.alist_pins(chat_id, page_size=0), 3)
    assert {r.code for r in replies} <= {230001, 99991400}


def test_unknown_token_beats_rate_limit_and_body(feishu):
    feishu.create_chat()
    option = lark.RequestOption.builder().tenant_access_token("t-" + secrets.token_hex(20)).build()
    resp = feishu.client.im.v1.pin.list(feishu._list_request(None, page_size=0), option)
    feishu.expect_error(resp, 99991663)

"""Access tokens (feishu.md §3) and gateway token errors (§4)."""

import json
import secrets
import time

import httpx
import lark_oapi as lark
import pytest
from lark_oapi.api.auth.v3 import (
    InternalAppAccessTokenRequest,
    InternalAppAccessTokenRequestBody,
    InternalTenantAccessTokenRequest,
    InternalTenantAccessTokenRequestBody,
)
from lark_oapi.core.exception import ObtainAccessTokenException

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"


def _tenant_token_reply(client, app_id, app_secret):
    body = InternalTenantAccessTokenRequestBody.builder()
    if app_id is not None:
        body = body.app_id(app_id)
    if app_secret is not None:
        body = body.app_secret(app_secret)
    request = InternalTenantAccessTokenRequest.builder().request_body(body.build()).build()
    resp = client.auth.v3.tenant_access_token.internal(request)
    return resp, json.loads(resp.raw.content)


def _assert_token_failure(resp, body, code, msg=None):
    assert resp.raw.status_code == 200
    assert body["code"] == code
    assert resp.code == code
    if msg is not None:
        assert body["msg"] == msg
    assert "tenant_access_token" not in body
    assert "app_access_token" not in body


def test_tenant_token_internal_issues_flat_token(feishu):
    resp, body = _tenant_token_reply(feishu.client, feishu.app_id, feishu.app_secret)
    assert resp.raw.status_code == 200
    assert body["code"] == 0
    assert body["msg"] == "ok"
    assert "data" not in body
    token = body["tenant_access_token"]
    assert token.startswith("t-") and len(token) == 42
    assert isinstance(body["expire"], int)
    assert 7000 <= body["expire"] <= 7200


def test_tenant_token_reused_while_plenty_of_lifetime_left(feishu):
    _, first = _tenant_token_reply(feishu.client, feishu.app_id, feishu.app_secret)
    time.sleep(1.1)
    _, second = _tenant_token_reply(feishu.client, feishu.app_id, feishu.app_secret)
    assert second["tenant_access_token"] == first["tenant_access_token"]
    assert second["expire"] < first["expire"]  # the remaining lifetime, not a fresh 7200


def test_app_access_token_internal_returns_both_tokens(feishu):
    request = (
        InternalAppAccessTokenRequest.builder()
        .request_body(
            InternalAppAccessTokenRequestBody.builder()
            .app_id(feishu.app_id)
            .app_secret(feishu.app_secret)
            .build()
        )
        .build()
    )
    resp = feishu.client.auth.v3.app_access_token.internal(request)
    body = json.loads(resp.raw.content)
    assert resp.raw.status_code == 200
    assert body["code"] == 0
    assert body["app_access_token"].startswith("t-")
    assert body["tenant_access_token"].startswith("t-")
    assert isinstance(body["expire"], int) and 0 < body["expire"] <= 7200


def test_app_access_token_wrong_secret_answers_10014(feishu):
    request = (
        InternalAppAccessTokenRequest.builder()
        .request_body(
            InternalAppAccessTokenRequestBody.builder()
            .app_id(feishu.app_id)
            .app_secret("z" * 32)
            .build()
        )
        .build()
    )
    resp = feishu.client.auth.v3.app_access_token.internal(request)
    _assert_token_failure(resp, json.loads(resp.raw.content), 10014, "app secret invalid")


def test_sdk_fetched_tenant_token_works_for_api_calls(feishu):
    chat_id = feishu.create_chat()
    data = feishu.expect_ok(feishu.list_pins(chat_id))
    assert data.items == []
    token = feishu.tenant_token()
    assert token.startswith("t-")


def test_wrong_secret_answers_10014(feishu):
    resp, body = _tenant_token_reply(feishu.client, feishu.app_id, "x" * 32)
    _assert_token_failure(resp, body, 10014, "app secret invalid")


def test_unknown_app_id_answers_10014(feishu):
    resp, body = _tenant_token_reply(
        feishu.client, "cli_" + secrets.token_hex(8), feishu.app_secret
    )
    _assert_token_failure(resp, body, 10014, "app id not exists")


@pytest.mark.parametrize(
    ("app_id", "app_secret"),
    [("not-an-app-id", "x" * 32), (None, "x" * 32), ("APP", None), (None, None)],
    ids=["ill-formed-app-id", "missing-app-id", "missing-secret", "empty-body"],
)
def test_malformed_token_request_answers_10003(feishu, app_id, app_secret):
    if app_id == "APP":
        app_id = feishu.app_id
    resp, body = _tenant_token_reply(feishu.client, app_id, app_secret)
    _assert_token_failure(resp, body, 10003, "invalid param")


def test_sdk_call_with_wrong_secret_raises_obtain_token_exception(feishu_factory):
    victim = feishu_factory()
    client = (
        lark.Client.builder()
        .app_id(victim.app_id)
        .app_secret("y" * 32)
        .domain(victim.base_url)
        .log_level(lark.LogLevel.WARNING)
        .build()
    )
    victim.client = client
    with pytest.raises(ObtainAccessTokenException) as raised:
        victim.list_pins("oc_" + secrets.token_hex(16))
    assert raised.value.code == 10014


def test_token_path_accepts_trailing_slash(feishu):
    reply = httpx.post(
        f"{feishu.base_url}{TOKEN_PATH}/",
        json={"app_id": feishu.app_id, "app_secret": feishu.app_secret},
    )
    assert reply.status_code == 200
    assert reply.json()["code"] == 0
    assert reply.json()["tenant_access_token"].startswith("t-")


def test_token_request_without_content_type_is_parsed(feishu):
    raw = json.dumps({"app_id": feishu.app_id, "app_secret": feishu.app_secret}).encode()
    reply = httpx.post(f"{feishu.base_url}{TOKEN_PATH}", content=raw)
    assert "content-type" not in {k.lower() for k in reply.request.headers}
    assert reply.json()["code"] == 0


def test_unknown_tenant_token_answers_99991663(feishu):
    chat_id = feishu.create_chat()
    option = lark.RequestOption.builder().tenant_access_token("t-" + secrets.token_hex(20)).build()
    resp = feishu.client.im.v1.pin.list(feishu._list_request(chat_id), option)
    feishu.expect_error(resp, 99991663)


def test_unknown_user_token_answers_99991668(feishu):
    chat_id = feishu.create_chat()
    option = lark.RequestOption.builder().user_access_token("u-" + secrets.token_hex(15)).build()
    resp = feishu.client.im.v1.pin.list(feishu._list_request(chat_id), option)
    feishu.expect_error(resp, 99991668)


def test_token_without_known_prefix_answers_99991671(feishu):
    chat_id = feishu.create_chat()
    option = lark.RequestOption.builder().tenant_access_token("x-" + secrets.token_hex(20)).build()
    resp = feishu.client.im.v1.pin.list(feishu._list_request(chat_id), option)
    feishu.expect_error(resp, 99991671)


def test_jwt_like_token_answers_99991668(feishu):
    chat_id = feishu.create_chat()
    jwt_like = "eyJhbGciOiJIUzI1NiJ9." + secrets.token_urlsafe(24) + "." + secrets.token_urlsafe(16)
    option = lark.RequestOption.builder().user_access_token(jwt_like).build()
    resp = feishu.client.im.v1.pin.list(feishu._list_request(chat_id), option)
    feishu.expect_error(resp, 99991668)


def test_expired_user_token_answers_99991677(feishu):
    feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(members=["alice"])
    token = feishu.issue_token("alice", ttl_seconds=1)["token"]
    time.sleep(2.1)
    option = lark.RequestOption.builder().user_access_token(token).build()
    resp = feishu.client.im.v1.pin.create(feishu._pin_request(message_id), option)
    feishu.expect_error(resp, 99991677)
    assert feishu.pinned_ids(chat_id) == []


def test_gateway_auth_checked_before_body(feishu):
    option = lark.RequestOption.builder().tenant_access_token("t-" + secrets.token_hex(20)).build()
    resp = feishu.client.im.v1.pin.create(feishu._pin_request(""), option)
    feishu.expect_error(resp, 99991663)


def test_missing_authorization_answers_99991661(feishu):
    chat_id = feishu.create_chat()
    reply = httpx.get(f"{feishu.base_url}/open-apis/im/v1/pins", params={"chat_id": chat_id})
    feishu.expect_error(reply, 99991661)


def test_authorization_without_bearer_prefix_answers_99991661(feishu):
    chat_id = feishu.create_chat()
    token = feishu.tenant_token()
    reply = httpx.get(
        f"{feishu.base_url}/open-apis/im/v1/pins",
        params={"chat_id": chat_id},
        headers={"Authorization": token},
    )
    feishu.expect_error(reply, 99991661)


def test_user_token_acts_as_that_user(feishu):
    alice = feishu.add_user("alice")
    chat_id, message_id = feishu.chat_with_message(members=["alice"])
    pin = feishu.pin_ok(message_id, as_user="alice")
    assert pin.operator_id_type == "open_id"
    assert pin.operator_id == alice["feishu"]["open_id"]
    assert feishu.pinned_ids(chat_id) == [message_id]


def test_user_token_of_another_app_is_unknown(feishu_factory):
    home, other = feishu_factory(), feishu_factory()
    home.add_user("alice")
    other.add_user("alice")
    chat_id, message_id = home.chat_with_message(members=["alice"])
    foreign = lark.RequestOption.builder().user_access_token(other.user_token("alice")).build()
    resp = home.client.im.v1.pin.create(home._pin_request(message_id), foreign)
    home.expect_error(resp, 230001)
    assert home.pinned_ids(chat_id) == []


def test_tokens_survive_server_restart(restartable_feishu, restartable_server):
    feishu = restartable_feishu
    feishu.add_user("alice")
    chat_id, first = feishu.chat_with_message(members=["alice"])
    second = feishu.send_text(chat_id, "second")
    pinned = feishu.pin_ok(first)  # the SDK now holds a cached tenant token
    tenant_token = feishu.tenant_token()
    user_token = feishu.user_token("alice")

    restartable_server.process.restart()

    # The same SDK client keeps sending its cached tenant token (lark-oapi never drops it).
    items = feishu.expect_ok(feishu.list_pins(chat_id)).items
    assert [(p.message_id, p.create_time) for p in items] == [(first, pinned.create_time)]
    pin = feishu.pin_ok(second, as_user="alice")
    assert feishu.user_token("alice") == user_token
    assert pin.operator_id == feishu.open_id("alice")
    _, body = _tenant_token_reply(feishu.client, feishu.app_id, feishu.app_secret)
    assert body["tenant_access_token"] == tenant_token

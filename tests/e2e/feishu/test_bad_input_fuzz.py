"""Whatever JSON or bytes arrive, the Feishu routes answer the vendor's envelope, never a 500,
and change nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.e2e.feishu_client import Feishu

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
# Objects with the fields the endpoints read, holding values of any JSON type.
field_names = st.sampled_from(
    [
        "message_id",
        "receive_id",
        "msg_type",
        "content",
        "uuid",
        "name",
        "owner_id",
        "user_id_list",
        "bot_id_list",
        "pin_manage_setting",
        "id_list",
        "manager_ids",
        "chat_type",
        "i18n_names",
        "edit_permission",
        "add_member_permission",
    ]
)
bodies = st.dictionaries(field_names, json_values, max_size=5) | json_values

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _assert_envelope(reply: httpx.Response) -> None:
    assert reply.status_code in (200, 400, 404, 405, 429), (reply.status_code, reply.text)
    body = reply.json()
    assert isinstance(body["code"], int) and isinstance(body["msg"], str)
    assert reply.headers["content-type"] == "application/json; charset=utf-8"


def _raw(feishu: Feishu) -> httpx.Client:
    return httpx.Client(
        base_url=feishu.base_url + "/open-apis/im/v1",
        headers={"Authorization": f"Bearer {feishu.tenant_token()}"},
        timeout=30.0,
    )


@FUZZ
@given(
    body=bodies,
    target=st.sampled_from(
        [
            "POST /pins",
            "POST /messages",
            "POST /chats",
            "PUT /chats/{chat}",
            "POST /chats/{chat}/members",
            "DELETE /chats/{chat}/members",
            "POST /chats/{chat}/managers/add_managers",
        ]
    ),
)
def test_any_json_body_gets_an_envelope_and_writes_nothing(
    feishu: Feishu, body: Any, target: str
) -> None:
    feishu.patch_app(api_rate_per_second=0, api_rate_per_minute=0, message_rate_per_second=0)
    chat_id = getattr(feishu, "_fuzz_chat", None) or feishu.create_chat(name="fuzz")
    feishu._fuzz_chat = chat_id  # type: ignore[attr-defined]
    before = feishu.get_chat(chat_id).raw.content
    method, path = target.split(" ")
    with _raw(feishu) as client:
        reply = client.request(
            method,
            path.format(chat=chat_id) + ("?receive_id_type=chat_id" if "messages" in path else ""),
            content=json.dumps(body),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
    _assert_envelope(reply)
    if reply.json()["code"] != 0:
        # A refused request leaves the chat as it was, and pins nothing.
        assert feishu.get_chat(chat_id).raw.content == before
        assert feishu.pinned_ids(chat_id) == []


@FUZZ
@given(raw=st.binary(max_size=64), path=st.sampled_from(["/pins", "/messages", "/chats"]))
@example(raw=b"\t", path="/chats")  # whitespace is no JSON (not an empty body): 232001
@example(raw=b" \r\n", path="/pins")
def test_non_json_bytes_are_an_invalid_parameter(feishu: Feishu, raw: bytes, path: str) -> None:
    feishu.patch_app(api_rate_per_second=0, api_rate_per_minute=0)
    try:
        parsed = json.loads(raw or b"{}")  # an empty body counts as an empty object
    except ValueError:
        parsed = None
    with _raw(feishu) as client:
        reply = client.post(path, content=raw)
    _assert_envelope(reply)
    if not isinstance(parsed, dict):
        assert reply.status_code == 400
        assert reply.json()["code"] in (230001, 232001)


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["chat_id", "page_size", "page_token", "start_time", "end_time"]),
        st.text(max_size=12) | st.integers().map(str),
        max_size=5,
    )
)
def test_any_pin_list_query_gets_an_envelope(feishu: Feishu, params: dict[str, str]) -> None:
    feishu.patch_app(api_rate_per_second=0, api_rate_per_minute=0)
    with _raw(feishu) as client:
        reply = client.get("/pins", params=params)
    _assert_envelope(reply)

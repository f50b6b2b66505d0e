"""Fault rules over HTTP: the next N matching requests of an app are refused in the dialect's
own envelope (and change nothing) or delayed, seen through each dialect's client
(docs/testing.md, "Fault rules")."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.feishu_client import Feishu, build_lark_client, expect_error
from tests.e2e.imkit.conftest import IMKit, ok
from tests.e2e.live_server import Server
from tests.e2e.zim.client import Zim

NewApp = Callable[[], dict[str, Any]]
PEER = 0


def _add(admin: httpx.Client, app: dict[str, Any], **rule: Any) -> dict[str, Any]:
    reply = admin.post(f"/v1/apps/{app['id']}/faults", json=rule)
    assert reply.status_code == 201, reply.text
    created: dict[str, Any] = reply.json()
    return created


def _live(admin: httpx.Client, app: dict[str, Any]) -> list[dict[str, Any]]:
    reply = admin.get(f"/v1/apps/{app['id']}/faults")
    assert reply.status_code == 200, reply.text
    rules: list[dict[str, Any]] = reply.json()["faults"]
    return rules


@pytest.fixture
def feishu(controlled_server: Server, controls_admin: httpx.Client, new_app: NewApp) -> Feishu:
    app = new_app()
    client = build_lark_client(
        controlled_server.base_url, app["feishu"]["app_id"], app["feishu"]["app_secret"]
    )
    return Feishu(controlled_server.base_url, controls_admin, app, client)


@pytest.fixture
def imkit(
    controlled_server: Server, controls_admin: httpx.Client, new_app: NewApp
) -> Iterator[IMKit]:
    with httpx.Client(base_url=controlled_server.base_url, timeout=30.0) as http:
        yield IMKit(controlled_server.base_url, controls_admin, new_app(), http)


def test_feishu_pin_is_refused_twice_then_made_once(
    feishu: Feishu, controls_admin: httpx.Client
) -> None:
    chat_id, message_id = feishu.chat_with_message()
    rule = _add(
        controls_admin,
        feishu.app,
        dialect="feishu",
        match="POST /open-apis/im/v1/pins",
        times=2,
        code=230020,
    )
    assert (rule["remaining"], rule["http_status"]) == (2, None)

    for left in (1, 0):
        expect_error(feishu.pin(message_id), 230020)  # HTTP 400, the vendor's msg
        assert [r["remaining"] for r in _live(controls_admin, feishu.app)] == (
            [left] if left else []
        )
        assert feishu.pinned_ids(chat_id) == []  # refused before anything changed
    feishu.pin_ok(message_id)
    assert feishu.pinned_ids(chat_id) == [message_id]
    history = controls_admin.get(f"/v1/apps/{feishu.app['id']}/events").json()["events"]
    assert [e["type"] for e in history].count("pin.created") == 1


def test_feishu_wildcard_rule_takes_the_status_of_its_code(
    feishu: Feishu, controls_admin: httpx.Client
) -> None:
    chat_id, message_id = feishu.chat_with_message()
    feishu.pin_ok(message_id)
    _add(
        controls_admin,
        feishu.app,
        dialect="feishu",
        match="DELETE /open-apis/im/v1/pins/*",
        code=99991400,
    )
    refused = feishu.unpin(message_id)
    expect_error(refused, 99991400, status=429)  # the rate limit's own status
    assert refused.raw.headers["x-ogw-ratelimit-reset"] == "1"
    assert feishu.pinned_ids(chat_id) == [message_id]
    feishu.expect_ok(feishu.unpin(message_id))
    assert feishu.pinned_ids(chat_id) == []


def test_zim_rule_by_action_refuses_on_http_200(
    controlled_server: Server, controls_admin: httpx.Client, new_app: NewApp
) -> None:
    app = new_app()
    with httpx.Client(base_url=controlled_server.base_url, timeout=30.0) as http:
        zim = Zim(
            controlled_server.base_url, app["zim"]["app_id"], app["zim"]["server_secret"], http
        )
        zim.register("alice", "bob")
        _add(controls_admin, app, dialect="zim", match="ConvPinned", code=660000001)
        zim.send_text("alice", "bob")  # another action: not matched

        refused = zim.pin("alice", [("bob", PEER)])  # asserts HTTP 200 and the envelope
        assert (refused["Code"], refused["ErrorList"]) == (660000001, [])
        assert refused["Message"] == "general business error"
        assert zim.pinned("alice") == []
        assert zim.pin("alice", [("bob", PEER)])["Code"] == 0
        assert zim.pinned("alice") == ["bob"]


def test_imkit_rule_by_path_refuses_with_imkits_error_body(
    imkit: IMKit, controls_admin: httpx.Client
) -> None:
    imkit.user("alice")
    _add(controls_admin, imkit.app, dialect="imkit", match="POST /rooms", times=2, http_status=503)
    body = {"_id": "r1", "name": "r1", "owner": "alice", "members": []}
    for path in ("/rooms", "/rooms/"):  # a trailing slash is the same path
        refused = imkit.platform("POST", path, json=body)
        assert refused.status_code == 503, refused.text
        error = refused.json()
        assert (error["RC"], error["RM"]) == (503, "Service Unavailable")
        assert error["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert imkit.platform("GET", "/rooms/r1").status_code == 404
    ok(imkit.platform("POST", "/rooms", json=body))
    assert imkit.get_room("r1")["_id"] == "r1"


def test_parallel_requests_are_refused_exactly_times_times(
    imkit: IMKit, controls_admin: httpx.Client
) -> None:
    _add(controls_admin, imkit.app, dialect="imkit", match="GET /rooms", times=5, http_status=429)

    async def twenty() -> list[httpx.Response]:
        headers = {"IM-API-KEY": imkit.api_key}
        async with httpx.AsyncClient(base_url=imkit.base_url, timeout=30.0) as client:
            return list(
                await asyncio.gather(*(client.get("/rooms", headers=headers) for _ in range(20)))
            )

    replies = asyncio.run(twenty())
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [200] * 15 + [429] * 5
    refused = [r for r in replies if r.status_code == 429]
    assert {r.json()["error"]["code"] for r in refused} == {"RATE_LIMIT_EXCEEDED"}
    assert {r.headers["retry-after"] for r in refused} == {"1"}
    assert _live(controls_admin, imkit.app) == []


def test_a_delay_rule_delays_then_the_request_runs(
    feishu: Feishu, controls_admin: httpx.Client
) -> None:
    api_key = feishu.app["native"]["api_key"]
    _add(controls_admin, feishu.app, dialect="native", match="GET /v1/capabilities", delay_ms=300)
    started = time.monotonic()
    reply = httpx.get(
        f"{feishu.base_url}/v1/capabilities", headers={"Authorization": f"Bearer {api_key}"}
    )
    assert reply.status_code == 200, reply.text
    assert time.monotonic() - started >= 0.3
    assert _live(controls_admin, feishu.app) == []


def test_native_refusal_changes_nothing(feishu: Feishu, controls_admin: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {feishu.app['native']['api_key']}"}
    feishu.add_user("alice")
    chat = {"id": "team", "owner": "alice"}
    _add(controls_admin, feishu.app, dialect="native", match="POST /v1/chats", http_status=503)
    with httpx.Client(base_url=feishu.base_url, headers=headers, timeout=30.0) as native:
        refused = native.post("/v1/chats", json=chat)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "injected_fault"
        assert native.get("/v1/chats/team").status_code == 404
        created = native.post("/v1/chats", json=chat)
        assert created.status_code == 201, created.text


def test_rules_are_listed_cleared_and_gone_after_a_reset(
    feishu: Feishu, controls_admin: httpx.Client, new_app: NewApp
) -> None:
    other = new_app()
    first = _add(controls_admin, feishu.app, dialect="zim", match="ConvPinned", code=1, times=3)
    second = _add(controls_admin, feishu.app, dialect="imkit", match="* /rooms*", http_status=500)
    _add(controls_admin, other, dialect="zim", match="*", code=1)
    assert [r["id"] for r in _live(controls_admin, feishu.app)] == [first["id"], second["id"]]

    cleared = controls_admin.delete(f"/v1/apps/{feishu.app['id']}/faults")
    assert cleared.status_code == 204
    assert _live(controls_admin, feishu.app) == []
    _add(controls_admin, feishu.app, dialect="zim", match="ConvPinned", code=1)
    reset = controls_admin.post(f"/v1/apps/{feishu.app['id']}/reset").json()
    assert reset["fault_rules"] == 1
    assert _live(controls_admin, feishu.app) == []
    assert len(_live(controls_admin, other)) == 1


@pytest.mark.parametrize(
    "rule",
    [
        {"dialect": "zim", "match": "ConvPinned", "http_status": 500},  # ZIM answers HTTP 200
        {"dialect": "zim", "match": "POST /", "code": 1},  # ZIM rules name an Action
        {"dialect": "imkit", "match": "POST /rooms", "code": 400},  # IMKit: by status
        {"dialect": "native", "match": "GET /v1/chats", "code": 1},
        {"dialect": "feishu", "match": "/open-apis/im/v1/pins", "code": 1},  # no method
        {"dialect": "feishu", "match": "POST /open-apis/im/v1/pins"},  # nothing to do
        {"dialect": "feishu", "match": "POST /x", "code": 1, "times": 0},
        {"dialect": "feishu", "match": "POST /x", "delay_ms": 60_001},
        {"dialect": "feishu", "match": "POST /x", "http_status": 600},
        {"dialect": "smtp", "match": "POST /x", "code": 1},
    ],
)
def test_malformed_rules_are_refused(
    controls_admin: httpx.Client, new_app: NewApp, rule: dict[str, Any]
) -> None:
    app = new_app()
    reply = controls_admin.post(f"/v1/apps/{app['id']}/faults", json=rule)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["code"] == "invalid_argument"
    assert _live(controls_admin, app) == []


def test_rules_need_a_known_app_and_the_admin_key(
    controlled_server: Server, controls_admin: httpx.Client
) -> None:
    rule = {"dialect": "zim", "match": "ConvPinned", "code": 1}
    unknown = controls_admin.post("/v1/apps/app_0000000000000000/faults", json=rule)
    assert unknown.status_code == 404, unknown.text
    anonymous = httpx.get(f"{controlled_server.base_url}/v1/apps/app_0000000000000000/faults")
    assert anonymous.status_code == 401, anonymous.text

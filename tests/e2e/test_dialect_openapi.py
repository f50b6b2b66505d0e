"""Each dialect's OpenAPI document, as a client fetches it from a live server: served at
``/openapi/<dialect>.json``, listed by ``/v1/capabilities``, and true to the wire — real
replies of the pin workflow validate against the schemas the document gives them, and the
codes real failures carry are among the ones it lists."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from tests.e2e.live_server import Server, create_app
from tests.e2e.zim.client import Zim

DIALECTS = ("feishu", "imkit", "zim")


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        yield client


@pytest.fixture
def documents(http: httpx.Client) -> dict[str, dict[str, Any]]:
    return {name: http.get(f"/openapi/{name}.json").json() for name in DIALECTS}


@pytest.fixture
def app(admin: httpx.Client, request: pytest.FixtureRequest) -> dict[str, Any]:
    return create_app(admin, f"e2e openapi {request.node.name}")


def _check(document: dict[str, Any], path: str, method: str, reply: httpx.Response) -> Any:
    """``reply`` is one the document's operation declares: its status is listed, its body
    valid against that status's schema, and its vendor code (if any) among those listed."""
    responses = document["paths"][path][method]["responses"]
    assert str(reply.status_code) in responses, (path, reply.status_code, reply.text)
    declared = responses[str(reply.status_code)]
    body = reply.json()
    schema = {**declared["content"]["application/json"]["schema"], **document}
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(body)]
    assert errors == [], (path, body)
    code = _vendor_code(body)
    if code not in (None, 0):
        assert code in {c["code"] for c in declared["x-error-codes"]}, (path, body)
    return body


def _vendor_code(body: Any) -> Any:
    if not isinstance(body, dict):
        return None
    if "error" in body and isinstance(body["error"], dict) and "RC" in body:
        return body["error"].get("code")  # IMKit names its errors by a string code
    return body.get("code", body.get("Code"))


def test_each_dialect_serves_its_document_as_json(http: httpx.Client) -> None:
    for name in DIALECTS:
        reply = http.get(f"/openapi/{name}.json")
        assert reply.status_code == 200, reply.text
        assert reply.headers["content-type"] == "application/json"
        document = reply.json()
        assert document["openapi"].startswith("3.1.")
        assert document["info"]["version"] == http.get("/openapi.json").json()["info"]["version"]


def test_the_documents_hold_each_dialects_pin_routes(documents: dict[str, Any]) -> None:
    feishu = documents["feishu"]["paths"]
    assert {"post", "get"} <= set(feishu["/open-apis/im/v1/pins"])
    assert "delete" in feishu["/open-apis/im/v1/pins/{message_id}"]
    assert "post" in feishu["/open-apis/auth/v3/tenant_access_token/internal"]
    imkit = documents["imkit"]["paths"]
    assert {"post", "delete"} <= set(imkit["/messages/{message_id}/pin"])
    assert "post" in imkit["/admin/clients"]
    zim = documents["zim"]["paths"]
    assert set(zim["/?Action=ConvPinned"]) == {"post"}
    assert "/?Action=QueryConversationList" in zim


def test_the_feishu_pin_create_operation_names_message_id(documents: dict[str, Any]) -> None:
    document = documents["feishu"]
    create = document["paths"]["/open-apis/im/v1/pins"]["post"]
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "message_id" in body["properties"] and body["required"] == ["message_id"]


def test_an_unknown_dialect_has_no_document(http: httpx.Client) -> None:
    reply = http.get("/openapi/slack.json")
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "not_found"


def test_capabilities_list_every_document(http: httpx.Client, app: dict[str, Any]) -> None:
    key = {"Authorization": f"Bearer {app['native']['api_key']}"}
    listed = http.get("/v1/capabilities", headers=key).json()["openapi"]
    assert listed == {
        "native": "/openapi.json",
        "feishu": "/openapi/feishu.json",
        "imkit": "/openapi/imkit.json",
        "zim": "/openapi/zim.json",
    }
    for url in listed.values():
        assert http.get(url).status_code == 200


def test_feishu_replies_are_the_documented_ones(
    http: httpx.Client, documents: dict[str, Any], app: dict[str, Any]
) -> None:
    doc = documents["feishu"]
    token_path = "/open-apis/auth/v3/tenant_access_token/internal"
    refused = http.post(token_path, content=b"[]")
    assert _check(doc, token_path, "post", refused)["code"] == 10003
    credentials = {"app_id": app["feishu"]["app_id"], "app_secret": app["feishu"]["app_secret"]}
    token = _check(doc, token_path, "post", http.post(token_path, json=credentials))
    bearer = {"Authorization": f"Bearer {token['tenant_access_token']}"}

    chats = "/open-apis/im/v1/chats"
    chat = _check(doc, chats, "post", http.post(chats, json={"name": "docs"}, headers=bearer))
    chat_id = chat["data"]["chat_id"]
    messages = "/open-apis/im/v1/messages"
    sent = http.post(
        messages,
        params={"receive_id_type": "chat_id"},
        json={"receive_id": chat_id, "msg_type": "text", "content": json.dumps({"text": "hi"})},
        headers=bearer,
    )
    message_id = _check(doc, messages, "post", sent)["data"]["message_id"]

    pins = "/open-apis/im/v1/pins"
    pinned = http.post(pins, json={"message_id": message_id}, headers=bearer)
    pin = _check(doc, pins, "post", pinned)
    assert pin["data"]["pin"]["message_id"] == message_id
    listed = _check(doc, pins, "get", http.get(pins, params={"chat_id": chat_id}, headers=bearer))
    assert [p["message_id"] for p in listed["data"]["items"]] == [message_id]
    unknown = http.post(pins, json={"message_id": "om_nothing"}, headers=bearer)
    assert _check(doc, pins, "post", unknown)["code"] == 230001
    no_token = http.get(pins, params={"chat_id": chat_id})
    assert _check(doc, pins, "get", no_token)["code"] == 99991661
    unpin = f"{pins}/{message_id}"
    _check(doc, pins + "/{message_id}", "delete", http.delete(unpin, headers=bearer))


def test_imkit_replies_are_the_documented_ones(
    http: httpx.Client, documents: dict[str, Any], app: dict[str, Any]
) -> None:
    doc = documents["imkit"]
    platform = {"IM-API-KEY": app["imkit"]["api_key"]}
    clients = "/admin/clients"
    for user in ("owner", "member"):
        body = {"_id": user, "nickname": user.title(), "issueAccessToken": True}
        _check(doc, clients, "post", http.post(clients, json=body, headers=platform))
    room = {"_id": "docs-room", "name": "Docs", "owner": "owner", "members": ["member"]}
    _check(doc, "/rooms", "post", http.post("/rooms", json=room, headers=platform))
    sent = http.post(
        "/messages",
        json={"room": "docs-room", "sender": "member", "message": "hi", "messageType": "text"},
        headers=platform,
    )
    message_id = _check(doc, "/messages", "post", sent)["result"]["_id"]

    pin = "/messages/{message_id}/pin"
    pinned = _check(doc, pin, "post", http.post(f"/messages/{message_id}/pin", headers=platform))
    assert pinned["result"]["pinned"] is True
    read = _check(doc, "/rooms/{room_id}", "get", http.get("/rooms/docs-room", headers=platform))
    assert read["result"]["pinnedMessage"]["_id"] == message_id
    missing = http.post("/messages/5f890cf37d980e06f6aaf349/pin", headers=platform)
    assert _check(doc, pin, "post", missing)["error"]["code"] == "MESSAGE_NOT_FOUND"
    stranger = http.post(f"/messages/{message_id}/pin", headers={"IM-CLIENT-KEY": "nope"})
    assert _check(doc, pin, "post", stranger)["error"]["code"] == "INVALID_CLIENT_KEY"


def test_zim_replies_are_the_documented_ones(
    server: Server, http: httpx.Client, documents: dict[str, Any], app: dict[str, Any]
) -> None:
    doc = documents["zim"]
    zim = Zim(server.base_url, app["zim"]["app_id"], app["zim"]["server_secret"], http)

    def call(action: str, body: dict[str, Any]) -> Any:
        reply = http.post("/", params=zim.params(action), json=body)
        return _check(doc, f"/?Action={action}", "post", reply)

    users = [{"UserId": u, "UserName": u.title()} for u in ("alice", "bob")]
    assert call("UserRegister", {"UserInfo": users})["Code"] == 0
    group = {"GroupOwner": "alice", "GroupId": "docs-group", "UserId": ["bob"]}
    assert call("CreateGroup", group)["Code"] == 0
    convs = [{"ConvId": "bob", "ConvType": 0}, {"ConvId": "ghost", "ConvType": 0}]
    pinned = call("ConvPinned", {"FromUserId": "alice", "ConvList": convs, "PinnedType": 1})
    assert pinned["Code"] == 0
    assert [(e["ConvId"], e["SubCode"]) for e in pinned["ErrorList"]] == [("ghost", 660800001)]
    listed = call("QueryConversationList", {"FromUserId": "alice", "PinnedFirst": True})
    assert listed["List"][0]["ConvId"] == "bob" and listed["List"][0]["IsPinned"] is True
    stranger = call("ConvPinned", {"FromUserId": "nobody", "ConvList": convs, "PinnedType": 1})
    assert stranger["Code"] == 660500002

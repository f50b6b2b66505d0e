"""Transport rules (imkit.md §1-2): envelope, JSON errors, trailing slashes, CORS, limits."""

from __future__ import annotations

from tests.e2e.imkit.conftest import IMKit, expect_error, ok


def test_cors_preflight_allows_the_imkit_headers(imkit: IMKit) -> None:
    reply = imkit.http.options(
        "/messages/abc/pin",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "im-client-key,im-authorization,content-type",
        },
    )
    assert reply.status_code in (200, 204)
    allowed = reply.headers["access-control-allow-headers"].lower()
    for header in ("im-client-key", "im-authorization", "im-api-key", "content-type"):
        assert header in allowed
    assert reply.headers["access-control-allow-origin"] in ("*", "https://app.example")
    assert "POST" in reply.headers["access-control-allow-methods"]
    # Replies to the real requests carry the origin header too.
    reply = imkit.http.get("/me", headers={"Origin": "https://app.example"})
    assert reply.headers["access-control-allow-origin"] in ("*", "https://app.example")


def test_unknown_paths_and_methods_answer_json(imkit: IMKit) -> None:
    reply = imkit.platform("GET", "/rooms/a/b/c/d")
    assert reply.status_code == 404 and reply.json()["RC"] == 404
    assert reply.json()["error"]["code"]
    reply = imkit.platform("PATCH", "/rooms/a")
    assert reply.status_code == 405 and reply.json()["RC"] == 405


def test_bad_bodies_are_invalid_body(imkit: IMKit) -> None:
    headers = {"IM-API-KEY": imkit.api_key, "Content-Type": "application/json"}
    for raw in (b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"):
        expect_error(
            imkit.http.post("/admin/clients", content=raw, headers=headers), 400, "INVALID_BODY"
        )
    expect_error(
        imkit.http.post("/admin/clients", content=b"null", headers=headers),
        400,
        "MISSING_PARAMETER",
    )


def test_wrong_json_types_never_500(demo: IMKit) -> None:
    cases = [
        ("POST", "/rooms", {"members": [1]}),
        ("POST", "/rooms", {"name": ["x"]}),
        ("PUT", "/rooms/demo-room", {"managers": "admin"}),
        ("PUT", "/rooms/demo-room", {"status": "1"}),
        ("POST", "/rooms/demo-room/members", {"invitees": [None]}),
        ("POST", "/rooms/demo-room/delete/members", {"members": {"a": 1}}),
        ("PUT", "/rooms/demo-room/member/admin", {"property": 1, "value": "admin"}),
        ("POST", "/messages", {"room": 1, "sender": "a", "message": "x", "messageType": "text"}),
        ("PUT", "/admin/clients/owner/token", {"token": 12}),
        ("DELETE", "/admin/clients/owner/token", {"token": False}),
    ]
    for method, path, body in cases:
        expect_error(demo.platform(method, path, json=body), 400, "INVALID_BODY")


def test_body_size_is_limited(imkit: IMKit) -> None:
    body = {"_id": "big", "nickname": "x" * (2 * 1024 * 1024)}
    reply = imkit.platform("POST", "/admin/clients", json=body)
    assert reply.status_code == 413 and reply.json()["RC"] == 413
    assert reply.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    expect_error(
        imkit.platform("DELETE", "/admin/clients/big/token"),
        404,
        "CLIENT_NOT_FOUND",
        "Client not found",
    )


def test_every_path_accepts_a_trailing_slash(demo: IMKit) -> None:
    sent = demo.send("member", "demo-room", "x")
    ok(demo.as_user("owner", "GET", "/me/"))
    ok(demo.as_user("owner", "GET", "/rooms/"))
    ok(demo.as_user("owner", "GET", "/rooms/demo-room/"))
    ok(demo.as_user("owner", "GET", "/rooms/demo-room/messages/v3/"))
    ok(demo.as_user("owner", "PUT", "/rooms/demo-room/", json={"name": "n"}))
    ok(demo.as_user("owner", "POST", "/rooms/demo-room/members/", json={"invitees": ["outsider"]}))
    ok(
        demo.as_user(
            "member",
            "POST",
            "/rooms/demo-room/message/",
            json={"message": "y", "messageType": "text"},
        )
    )
    ok(demo.as_user("owner", "POST", f"/messages/{sent['_id']}/pin/"))
    ok(demo.as_user("owner", "DELETE", f"/messages/{sent['_id']}/pin/"))
    ok(demo.platform("POST", "/admin/clients/", json={"_id": "z"}))


def test_api_key_rate_limit(imkit: IMKit) -> None:
    reply = imkit.admin.patch(f"/v1/apps/{imkit.app['id']}", json={"api_rate_per_minute": 3})
    assert reply.status_code == 200, reply.text
    for _ in range(3):
        ok(imkit.platform("GET", "/rooms"))
    reply = imkit.platform("GET", "/rooms")
    expect_error(reply, 429, "RATE_LIMIT_EXCEEDED")
    assert reply.json()["error"]["retryAfter"] == 60
    assert reply.headers["retry-after"] == "60"

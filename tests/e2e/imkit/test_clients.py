"""Users and tokens (imkit.md §3): upsert, issue, bind, revoke, `GET /me`, credential rules."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from tests.e2e.imkit.conftest import IMKit, expect_error, ok
from tests.e2e.live_server import REPO_ROOT, Server

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _unique(name: str) -> str:
    """Tokens are unique server-wide (the database outlives a test session): salt them."""
    return f"{name}-{secrets.token_hex(8)}"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def test_upsert_creates_a_user_and_issues_a_token(imkit: IMKit) -> None:
    body = {
        "_id": "owner",
        "nickname": "Owner",
        "avatarUrl": "http://a/b.png",
        "issueAccessToken": True,
    }
    result = ok(imkit.platform("POST", "/admin/clients", json=body))
    assert result["_id"] == result["id"] == "owner"
    assert result["nickname"] == "Owner"
    assert result["avatarUrl"] == "http://a/b.png"
    assert result["isRobot"] is False
    assert result["lastLoginTimeMS"] == 0
    assert isinstance(result["appID"], str) and result["appID"]
    assert ISO_MS.match(result["updatedAt"]) and ISO_MS.match(result["expirationDate"])
    updated = datetime.fromisoformat(result["updatedAt"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(result["expirationDate"].replace("Z", "+00:00"))
    assert abs((expires - updated) - timedelta(days=7)) < timedelta(seconds=5)
    imkit.tokens["owner"] = result["token"]
    me = ok(imkit.as_user("owner", "GET", "/me"))
    assert me["_id"] == "owner" and me["nickname"] == "Owner" and me["appID"] == result["appID"]


def test_upsert_without_token_fields_returns_no_token_and_keeps_profile(imkit: IMKit) -> None:
    imkit.user("owner", "Owner")
    result = ok(imkit.platform("POST", "/admin/clients", json={"_id": "owner", "avatarUrl": "x"}))
    assert "token" not in result and "expirationDate" not in result
    assert result["nickname"] == "Owner" and result["avatarUrl"] == "x"
    # Never 409 on an existing user; the earlier token still works.
    assert ok(imkit.as_user("owner", "GET", "/me"))["avatarUrl"] == "x"


def test_a_new_token_leaves_earlier_tokens_valid(imkit: IMKit) -> None:
    first = imkit.user("owner")["token"]
    second = imkit.user("owner")["token"]
    assert first != second
    for token in (first, second):
        headers = {"IM-CLIENT-KEY": imkit.client_key, "IM-Authorization": token}
        assert ok(imkit.http.get("/me", headers=headers))["_id"] == "owner"


def test_bind_a_caller_made_token(imkit: IMKit) -> None:
    bob_custom_token = _unique("bob-custom-token")
    expires = _iso(datetime.now(UTC) + timedelta(days=1))
    body = {"_id": "bob", "token": bob_custom_token, "expirationDate": expires}
    result = ok(imkit.platform("POST", "/admin/clients", json=body))
    assert result["token"] == bob_custom_token
    assert result["expirationDate"] == expires
    headers = {"IM-CLIENT-KEY": imkit.client_key, "IM-Authorization": bob_custom_token}
    assert ok(imkit.http.get("/me", headers=headers))["_id"] == "bob"


def test_token_bound_to_another_user_is_a_conflict(imkit: IMKit) -> None:
    shared_token = _unique("shared-token")
    ok(imkit.platform("POST", "/admin/clients", json={"_id": "bob", "token": shared_token}))
    reply = imkit.platform("POST", "/admin/clients", json={"_id": "eve", "token": shared_token})
    expect_error(reply, 409, "TOKEN_CONFLICT")
    # Refused as a whole: eve was not created.
    expect_error(
        imkit.platform("PUT", "/admin/clients/eve/token", json={"token": "t"}),
        404,
        "CLIENT_NOT_FOUND",
        "Client not found",
    )
    imkit.user("eve")
    expect_error(
        imkit.platform("PUT", "/admin/clients/eve/token", json={"token": shared_token}),
        409,
        "TOKEN_CONFLICT",
    )


def test_put_token_replaces_the_users_tokens(imkit: IMKit) -> None:
    fresh_token = _unique("fresh-token")
    old = imkit.user("owner")["token"]
    expires = _iso(datetime.now(UTC) + timedelta(hours=2))
    body = {"token": fresh_token, "expirationDate": expires}
    result = ok(imkit.platform("PUT", "/admin/clients/owner/token/", json=body))
    assert result["token"] == fresh_token and result["client"] == "owner"
    assert result["expirationDate"] == expires
    assert (
        isinstance(result["expirationDateMS"], int) and len(str(result["expirationDateMS"])) == 13
    )
    old_headers = {"IM-CLIENT-KEY": imkit.client_key, "IM-Authorization": old}
    expect_error(imkit.http.get("/me", headers=old_headers), 401, "INVALID_TOKEN")
    new_headers = {"IM-CLIENT-KEY": imkit.client_key, "IM-Authorization": fresh_token}
    assert ok(imkit.http.get("/me", headers=new_headers))["_id"] == "owner"


def test_expired_bound_token_is_invalid(imkit: IMKit) -> None:
    old_t = _unique("old-t")
    past = _iso(datetime.now(UTC) - timedelta(minutes=1))
    ok(
        imkit.platform(
            "POST", "/admin/clients", json={"_id": "o", "token": old_t, "expirationDate": past}
        )
    )
    headers = {"IM-CLIENT-KEY": imkit.client_key, "IM-Authorization": old_t}
    expect_error(imkit.http.get("/me", headers=headers), 401, "INVALID_TOKEN")


def test_delete_token_revokes_one_or_all(imkit: IMKit) -> None:
    first = imkit.user("owner")["token"]
    second = imkit.user("owner")["token"]
    third = imkit.user("owner")["token"]
    result = ok(imkit.platform("DELETE", "/admin/clients/owner/token", json={"token": first}))
    assert result == {"revokedTokens": 1}
    assert ok(imkit.platform("DELETE", "/admin/clients/owner/token")) == {"revokedTokens": 2}
    assert ok(imkit.platform("DELETE", "/admin/clients/owner/token/")) == {"revokedTokens": 0}
    for token in (first, second, third):
        headers = {"IM-CLIENT-KEY": imkit.client_key, "IM-Authorization": token}
        expect_error(imkit.http.get("/me", headers=headers), 401, "INVALID_TOKEN")
    expect_error(
        imkit.platform("DELETE", "/admin/clients/nobody/token"),
        404,
        "CLIENT_NOT_FOUND",
        "Client not found",
    )


def test_upsert_errors(imkit: IMKit) -> None:
    expect_error(
        imkit.platform("POST", "/admin/clients", json={"nickname": "x"}), 400, "MISSING_PARAMETER"
    )
    expect_error(
        imkit.platform("POST", "/admin/clients", json={"_id": ""}), 400, "MISSING_PARAMETER"
    )
    expect_error(imkit.platform("POST", "/admin/clients", json={"_id": 5}), 400, "INVALID_BODY")
    expect_error(
        imkit.platform("POST", "/admin/clients", json={"_id": "a", "issueAccessToken": "yes"}),
        400,
        "INVALID_BODY",
    )
    expect_error(
        imkit.platform(
            "POST", "/admin/clients", json={"_id": "a", "token": "t", "expirationDate": "soon"}
        ),
        400,
        "INVALID_BODY",
    )
    expect_error(imkit.http.post("/admin/clients", json={"_id": "a"}), 401, "INVALID_API_KEY")
    expect_error(
        imkit.http.post("/admin/clients", json={"_id": "a"}, headers={"IM-API-KEY": "nope"}),
        401,
        "INVALID_API_KEY",
    )
    # Nothing was created by the refused calls.
    expect_error(
        imkit.platform("DELETE", "/admin/clients/a/token"),
        404,
        "CLIENT_NOT_FOUND",
        "Client not found",
    )


def test_admin_endpoints_refuse_client_credentials(imkit: IMKit) -> None:
    imkit.user("owner")
    for method, path in (
        ("POST", "/admin/clients"),
        ("PUT", "/admin/clients/owner/token"),
        ("DELETE", "/admin/clients/owner/token"),
        ("POST", "/messages"),
    ):
        expect_error(imkit.as_user("owner", method, path, json={}), 401, "INVALID_API_KEY")


def test_user_endpoints_with_only_the_api_key_miss_a_parameter(imkit: IMKit) -> None:
    expect_error(imkit.platform("GET", "/me"), 400, "MISSING_PARAMETER")
    expect_error(imkit.platform("POST", "/rooms/createAndJoin", json={}), 400, "MISSING_PARAMETER")
    expect_error(
        imkit.platform("POST", "/rooms/r/message", json={"message": "x", "messageType": "text"}),
        400,
        "MISSING_PARAMETER",
    )


def test_credential_resolution_order(imkit: IMKit, imkit_factory) -> None:
    imkit.user("owner")
    token = imkit.tokens["owner"]
    # No client key at all, or an unknown one: 403 (never 401: SDKs would refresh and loop).
    expect_error(
        imkit.http.get("/me", headers={"IM-Authorization": token}), 403, "INVALID_CLIENT_KEY"
    )
    expect_error(
        imkit.http.get("/me", headers={"IM-CLIENT-KEY": "nope", "IM-Authorization": token}),
        403,
        "INVALID_CLIENT_KEY",
    )
    # Good key, missing or unknown token: 401.
    expect_error(
        imkit.http.get("/me", headers={"IM-CLIENT-KEY": imkit.client_key}), 401, "INVALID_TOKEN"
    )
    # A valid token of another app with this app's key: 401.
    other = imkit_factory()
    other.user("owner")
    headers = {"IM-CLIENT-KEY": imkit.client_key, "IM-Authorization": other.tokens["owner"]}
    expect_error(imkit.http.get("/me", headers=headers), 401, "INVALID_TOKEN")
    # A present but invalid API key wins over valid client credentials.
    headers = {"IM-CLIENT-KEY": imkit.client_key, "IM-Authorization": token, "IM-API-KEY": "bad"}
    expect_error(imkit.http.get("/rooms", headers=headers), 401, "INVALID_API_KEY")


def test_plain_authorization_header_and_any_header_case(imkit: IMKit) -> None:
    imkit.user("owner")
    token = imkit.tokens["owner"]
    headers = {"im-client-key": imkit.client_key, "Authorization": token}
    assert ok(imkit.http.get("/me", headers=headers))["_id"] == "owner"
    headers = {"IM-Client-Key": imkit.client_key, "im-authorization": token}
    headers |= {"IM-CLIENT-ID": "owner", "x-timezone": "Asia/Taipei", "accept-language": "zh-TW"}
    assert ok(imkit.http.get("/me/", headers=headers))["_id"] == "owner"


def test_native_api_issues_imkit_tokens(server: Server, imkit: IMKit) -> None:
    imkit.user("owner")
    reply = imkit.admin.post(
        f"/v1/apps/{imkit.app['id']}/tokens", json={"user_id": "owner", "dialect": "imkit"}
    )
    assert reply.status_code == 201, reply.text
    headers = {"IM-CLIENT-KEY": imkit.client_key, "IM-Authorization": reply.json()["token"]}
    assert ok(imkit.http.get("/me", headers=headers))["_id"] == "owner"


def test_cli_issues_imkit_tokens(server: Server, imkit: IMKit) -> None:
    imkit.user("owner")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "chatpins",
            "tokens",
            "issue",
            "--app",
            imkit.app["id"],
            "--user",
            "owner",
            "--dialect",
            "imkit",
            "--json",
            "--database-url",
            server.process.database_url,
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    import json

    token = json.loads(done.stdout)["token"]
    headers = {"IM-CLIENT-KEY": imkit.client_key, "IM-Authorization": token}
    assert ok(imkit.http.get("/me", headers=headers))["_id"] == "owner"


def test_users_of_another_app_are_not_found(imkit: IMKit, imkit_factory) -> None:
    other = imkit_factory()
    other.user("theirs")
    for method in ("PUT", "DELETE"):
        expect_error(
            imkit.platform(method, "/admin/clients/theirs/token", json={"token": "x" * 20}),
            404,
            "CLIENT_NOT_FOUND",
            "Client not found",
        )
    assert ok(other.as_user("theirs", "GET", "/me"))["_id"] == "theirs"

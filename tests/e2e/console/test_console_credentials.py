"""The console's credentials page in a real browser: the app's credentials with Copy buttons,
snippets that work as copied (run here against the live server), secrets rotated and shown once,
user tokens issued, and no change without the session's CSRF token."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
from playwright.sync_api import expect

from tests.e2e.console.conftest import Console
from tests.e2e.feishu_client import Feishu
from tests.e2e.live_server import Server
from tests.e2e.native.client import NativeApp

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
SNIPPET_TIMEOUT_S = 30


def _open(console: Console, app: NativeApp) -> None:
    console.goto(f"/console/apps/{app.app_id}/credentials")
    expect(console.page.locator("#credentials")).to_be_visible()


def _copied(console: Console, target: str) -> str:
    """What the Copy button for ``#target`` puts on the clipboard."""
    console.page.context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=console.base_url
    )
    button = console.page.locator(f"button[data-copy='#{target}']")
    button.click()
    expect(button).to_have_text("Copied")
    text: str = console.page.evaluate("navigator.clipboard.readText()")
    return text


def _tenant_token(server: Server, app_id: str, secret: str) -> dict[str, object]:
    reply = httpx.post(
        server.base_url + TOKEN_PATH, json={"app_id": app_id, "app_secret": secret}, timeout=30
    )
    assert reply.status_code == 200, reply.text
    body: dict[str, object] = reply.json()
    return body


def _rotate(console: Console, kind: str) -> str:
    """Rotate through the page (open the warning, confirm); the new value, shown once."""
    console.page.locator(f"#rotate-{kind} summary").click()
    expect(console.page.locator(f"#rotate-{kind} .warning")).to_contain_text("stops working")
    with console.page.expect_navigation() as done:
        console.page.locator(f"#rotate-{kind} button[type=submit]").click()
    response = done.value
    assert response is not None and response.status == 200
    assert response.request.method == "POST" and "rotate" in response.url
    shown = console.page.locator("#rotated-value").text_content()
    assert shown
    return shown


def _run(*command: str) -> str:
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=SNIPPET_TIMEOUT_S, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_page_shows_what_can_be_shown(console: Console, app: NativeApp) -> None:
    _open(console, app)
    page = console.page
    expect(page.locator("#app-id")).to_have_text(app.app_id)
    expect(page.locator("#feishu-app-id")).to_have_text(app.app["feishu"]["app_id"])
    expect(page.locator("#imkit-client-key")).to_have_text(app.app["imkit"]["client_key"])
    expect(page.locator("#zim-app-id")).to_have_text(str(app.app["zim"]["app_id"]))
    expect(page.locator("#zim-server-secret")).to_have_text(app.app["zim"]["server_secret"])
    assert _copied(console, "feishu-app-id") == app.app["feishu"]["app_id"]
    # Stored only hashed: neither appears anywhere, only placeholders in the snippets.
    html = page.content()
    assert app.app["feishu"]["app_secret"] not in html
    assert app.app["native"]["api_key"] not in html
    expect(page.locator("#snippet-feishu-token")).to_contain_text('"app_secret": "APP_SECRET"')
    expect(page.locator("#snippet-native")).to_contain_text("Bearer NATIVE_API_KEY")
    console.screenshot("credentials")


def test_the_zim_snippet_signs_a_request_the_server_accepts(
    console: Console, app: NativeApp
) -> None:
    _open(console, app)
    snippet = _copied(console, "snippet-zim")
    assert app.app["zim"]["server_secret"] in snippet and console.base_url in snippet

    reply = json.loads(_run(sys.executable, "-c", snippet))

    assert reply["Code"] == 0, reply
    assert reply["List"] == []


def test_rotating_the_feishu_secret_shows_the_new_one_once(
    console: Console, app: NativeApp, server: Server, feishu: Feishu
) -> None:
    feishu_app_id, old = app.app["feishu"]["app_id"], app.app["feishu"]["app_secret"]
    assert _tenant_token(server, feishu_app_id, old)["code"] == 0
    # Made before the rotation: it revokes the tokens `feishu` holds.
    message_id = feishu.send_text(feishu.create_chat(name="rotated"), "pin me")
    _open(console, app)

    new = _rotate(console, "feishu")

    assert new != old and new not in console.page.url
    assert _tenant_token(server, feishu_app_id, old) == {"code": 10014, "msg": "app secret invalid"}
    assert _tenant_token(server, feishu_app_id, new)["code"] == 0
    # The reply's snippets carry the new secret: the curl one gets a token as copied.
    curl = _copied(console, "snippet-feishu-token")
    assert json.loads(_run("sh", "-c", curl))["code"] == 0
    lark = _copied(console, "snippet-lark").replace("MESSAGE_ID", message_id)
    assert f'.app_secret("{new}")' in lark
    assert _run(sys.executable, "-c", lark).split()[0] == "0"
    # Shown once: the page itself never shows it again.
    _open(console, app)
    expect(console.page.locator("#rotated")).to_have_count(0)
    assert new not in console.page.content()


def test_rotating_the_native_key_ends_the_old_one(
    console: Console, app: NativeApp, server: Server
) -> None:
    app.api.create_user("alice")
    chat_id: str = app.api.create_chat("keys", owner="alice")["id"]
    _open(console, app)

    new = _rotate(console, "native")

    assert new.startswith("cpk_")
    assert app.api.pins_request(chat_id).status_code == 401
    curl = _copied(console, "snippet-native").replace("CHAT_ID", chat_id)
    assert json.loads(_run("sh", "-c", curl))["pins"] == []


def test_an_issued_native_token_works(console: Console, app: NativeApp, server: Server) -> None:
    app.api.create_user("alice")
    _open(console, app)
    form = console.page.locator("#issue-token")
    form.locator("#token-user-id").fill("alice")
    form.locator("#token-dialect").select_option("native")
    form.locator("button[type=submit]").click()

    token = console.page.locator("#issued-token").text_content()
    assert token and token.startswith("cpu_")
    # A native token lasts 2 h unless asked otherwise (the app's clock is not moved here).
    expires_ms = console.page.locator("#issued-expiry").get_attribute("data-ms")
    assert expires_ms and 0 < int(expires_ms) - time.time() * 1000 <= 2 * 3600 * 1000
    reply = httpx.get(
        f"{server.base_url}/v1/users/alice/conversations",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["items"] == []


def test_a_token_for_an_unknown_user_is_refused_on_the_page(
    console: Console, app: NativeApp
) -> None:
    _open(console, app)
    console.page.locator("#token-user-id").fill("nobody")
    with console.page.expect_navigation() as done:
        console.page.locator("#issue-token button[type=submit]").click()

    assert done.value is not None and done.value.status == 404
    expect(console.page.locator("#token-error")).to_be_visible()
    expect(console.page.locator("#issued")).to_have_count(0)
    expect(console.page.locator("#token-user-id")).to_have_value("nobody")


def test_a_rotation_without_the_csrf_token_is_refused(
    console: Console, app: NativeApp, server: Server
) -> None:
    feishu_app_id, old = app.app["feishu"]["app_id"], app.app["feishu"]["app_secret"]
    _open(console, app)
    rotate = f"{console.base_url}/console/apps/{app.app_id}/credentials/rotate"
    request = console.page.request  # the browser's cookies, session included

    assert request.post(rotate, form={"kind": "feishu"}).status == 403
    assert request.post(rotate, form={"kind": "feishu", "csrf_token": "forged"}).status == 403
    assert (
        request.post(rotate, form={"kind": "feishu"}, headers={"X-CSRF-Token": "0" * 64}).status
        == 403
    )

    assert _tenant_token(server, feishu_app_id, old)["code"] == 0
    unknown = request.post(rotate, form={"kind": "everything", "csrf_token": console.csrf()})
    assert unknown.status == 400
    assert _tenant_token(server, feishu_app_id, old)["code"] == 0


def test_an_unknown_app_has_no_credentials_page(console: Console) -> None:
    reply = console.page.request.get(console.base_url + "/console/apps/app_unknown/credentials")
    assert reply.status == 404
    assert "text/html" in reply.headers["content-type"]

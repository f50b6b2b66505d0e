"""The admin console in a real browser (Debian's Chromium through Playwright): signing in, a pin
made through lark-oapi appearing live, reordering by drag and by keyboard, an expired pin
leaving the page, and changes refused without the session's CSRF token."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.console.conftest import Console, first_frame
from tests.e2e.feishu_client import Feishu
from tests.e2e.live_server import Server
from tests.e2e.native.client import NativeApp
from tests.e2e.native.client import expect as expect_reply

LIVE_WITHIN_MS = 2_000  # the promise: a pin made elsewhere shows within 2 s


def _chat(app: NativeApp, name: str) -> str:
    app.api.create_user("alice")
    chat_id: str = app.api.create_chat(name, owner="alice")["id"]
    return chat_id


def _chat_with_pins(app: NativeApp, count: int) -> tuple[str, list[str]]:
    chat_id = _chat(app, "console")
    messages = app.api.send_many(chat_id, count, sender="alice")
    for message_id in reversed(messages):  # each new pin goes on top: the list reads 0, 1, 2
        app.api.pin(chat_id, message_id)
    assert app.api.pinned_ids(chat_id) == messages
    return chat_id, messages


def test_a_wrong_key_cannot_sign_in(page: Page, server: Server) -> None:
    signing_in = Console(page, server.base_url)
    signing_in.goto("/console")
    expect(page).to_have_url(server.base_url + "/console/sign-in")
    signing_in.screenshot("sign-in")
    signing_in.sign_in("cpk_" + "0" * 40)
    expect(page.locator("#sign-in-error")).to_have_text("That is not the admin key.")
    assert not [c for c in page.context.cookies() if c["name"] == "chatpins_console"]
    signing_in.goto("/console")
    expect(page).to_have_url(server.base_url + "/console/sign-in")


def test_the_session_cookie_is_http_only_and_strict(console: Console) -> None:
    (cookie,) = [c for c in console.page.context.cookies() if c["name"] == "chatpins_console"]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert console.page.evaluate("document.cookie") == ""


def test_apps_and_their_chats_are_listed(console: Console, app: NativeApp) -> None:
    chat_id, _messages = _chat_with_pins(app, 2)
    console.goto("/console")
    console.screenshot("apps")
    console.page.click(f"#apps a[href='/console/apps/{app.app_id}']")
    expect(console.page.locator("#chats")).to_contain_text(chat_id)
    console.screenshot("app")
    console.page.click(f"#chats a:text-is('{chat_id}')")
    expect(console.page.locator("#pin-version")).to_have_text(str(app.api.version(chat_id)))


def test_a_pin_made_through_lark_oapi_appears_without_reload(
    console: Console, app: NativeApp, feishu: Feishu
) -> None:
    chat_id = feishu.create_chat(name="live")
    message_id = feishu.send_text(chat_id, "pinned elsewhere")
    console.open_chat(app.app_id, chat_id)
    console.page.evaluate("window.notReloaded = true")

    feishu.pin_ok(message_id)

    pinned = console.page.locator(f"#pin-list li.pin[data-message-id='{message_id}']")
    expect(pinned).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(pinned.locator(".pin-text")).to_have_text("pinned elsewhere")
    assert console.page.evaluate("window.notReloaded") is True
    expect(console.page.locator("#events li[data-type='pin.created']")).to_have_count(1)
    console.screenshot("chat")


def test_reorder_by_drag_changes_the_native_order(console: Console, app: NativeApp) -> None:
    chat_id, (first, second, third) = _chat_with_pins(app, 3)
    version = app.api.version(chat_id)
    console.open_chat(app.app_id, chat_id)

    console.page.drag_and_drop(
        f"li.pin[data-message-id='{third}']", f"li.pin[data-message-id='{first}']"
    )

    expect(console.page.locator("#pin-version")).to_have_text(str(version + 1))
    assert app.api.pinned_ids(chat_id) == [third, first, second]
    assert console.pinned() == [third, first, second]


def test_reorder_by_keyboard(console: Console, app: NativeApp) -> None:
    chat_id, (first, second) = _chat_with_pins(app, 2)
    console.open_chat(app.app_id, chat_id)

    console.page.get_by_role("button", name=f"Move {first} down").focus()
    console.page.keyboard.press("Enter")

    expect(console.page.locator("#pin-list li.pin >> nth=0")).to_have_attribute(
        "data-message-id", second
    )
    assert app.api.pinned_ids(chat_id) == [second, first]


def test_an_expired_pin_disappears(console: Console, app: NativeApp, admin: httpx.Client) -> None:
    chat_id = _chat(app, "expiring")
    lasting, expiring = app.api.send_many(chat_id, 2, sender="alice")
    app.api.pin(chat_id, lasting)
    app.api.pin(chat_id, expiring, ttl_seconds=60)
    console.open_chat(app.app_id, chat_id)
    expiry = console.page.locator(f"li.pin[data-message-id='{expiring}'] .expiry")
    expect(expiry).to_contain_text("expires in")

    # The app's clock moves past the expiry: the sweeper removes the pin and says so.
    expect_reply(admin.put(f"/v1/apps/{app.app_id}/clock", json={"advance_ms": 61_000}), 200)

    expect(console.page.locator(f"li.pin[data-message-id='{expiring}']")).to_have_count(0)
    assert console.pinned() == [lasting]


def test_a_change_without_the_csrf_token_is_refused(console: Console, app: NativeApp) -> None:
    chat_id, (first, second) = _chat_with_pins(app, 2)
    console.open_chat(app.app_id, chat_id)
    unpin = f"{console.base_url}/console/apps/{app.app_id}/chats/{chat_id}/pins/{first}/unpin"
    reorder = f"{console.base_url}/console/apps/{app.app_id}/chats/{chat_id}/pins/order"
    request = console.page.request  # the browser's cookies, session included

    assert request.post(unpin).status == 403
    assert request.post(unpin, headers={"X-CSRF-Token": "0" * 64}).status == 403
    refused = request.post(reorder, form={"message_ids": second, "csrf_token": "forged"})
    assert refused.status == 403
    assert app.api.pinned_ids(chat_id) == [first, second]

    done = request.post(unpin, headers={"X-CSRF-Token": console.csrf()})
    assert done.status == 200
    assert app.api.pinned_ids(chat_id) == [second]


def test_without_a_session_nothing_changes(
    browser: Browser, server: Server, app: NativeApp
) -> None:
    chat_id, (first,) = _chat_with_pins(app, 1)
    context = browser.new_context()
    try:
        unpin = f"{server.base_url}/console/apps/{app.app_id}/chats/{chat_id}/pins/{first}/unpin"
        assert context.request.post(unpin, max_redirects=0).status == 401
        page = f"{server.base_url}/console/apps/{app.app_id}/chats/{chat_id}"
        assert context.request.get(page, max_redirects=0).status == 303
    finally:
        context.close()
    assert app.api.pinned_ids(chat_id) == [first]


@pytest.mark.parametrize("path", ["/console/apps/app_unknown", "/console/apps/app_unknown/chats/x"])
def test_an_unknown_app_is_a_page_not_a_crash(console: Console, path: str) -> None:
    reply = console.page.request.get(console.base_url + path)
    assert reply.status == 404
    assert "text/html" in reply.headers["content-type"]


def test_the_stream_takes_the_session_cookie_only_from_this_servers_pages(
    console: Console, app: NativeApp
) -> None:
    (session,) = [c for c in console.page.context.cookies() if c["name"] == "chatpins_console"]
    cookie = f"chatpins_console={session['value']}"

    assert first_frame(console.base_url, app.app_id, cookie, console.base_url)["type"] == "hello"
    elsewhere = first_frame(console.base_url, app.app_id, cookie, "http://pages.example")
    assert elsewhere == {"closed": 4401}
    forged = first_frame(console.base_url, app.app_id, cookie + "0", console.base_url)
    assert forged == {"closed": 4401}

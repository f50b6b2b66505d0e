"""The console's other changes and views, in a real browser: restoring a pin from the history,
recalling a message, dissolving a chat, a user's conversation list with global and personal
pins first, and the app's live events filtered by type and chat."""

from __future__ import annotations

from playwright.sync_api import Dialog, Locator, expect

from tests.e2e.console.conftest import Console
from tests.e2e.native.client import NativeApp, now_ms
from tests.e2e.native.client import expect as expect_reply


def _chat(app: NativeApp, name: str, *members: str) -> str:
    """A group chat owned by alice (each user made on first use)."""
    for user_id in ("alice", *members):
        if app.api.get_user_request(user_id).status_code == 404:
            app.api.create_user(user_id)
    chat_id: str = app.api.create_chat(name, owner="alice", members=list(members))["id"]
    return chat_id


def _accept(dialog: Dialog) -> None:
    dialog.accept()


def test_restore_from_the_history_pins_it_again(console: Console, app: NativeApp) -> None:
    chat_id = _chat(app, "restore")
    (message_id,) = app.api.send_many(chat_id, 1, sender="alice")
    app.api.pin(chat_id, message_id, note="keep this")
    app.api.unpin(chat_id, message_id)
    console.open_chat(app.app_id, chat_id)

    console.page.click(
        f"#history tr[data-action='removed'][data-message-id='{message_id}'] .restore"
    )

    expect(console.page.locator(f"li.pin[data-message-id='{message_id}']")).to_be_visible()
    (pin,) = app.api.pins(chat_id)["pins"]
    assert (pin["message_id"], pin["note"]) == (message_id, "keep this")
    # The history shows the restore, live, and offers no second one.
    expect(console.page.locator("#history tr[data-action='restored']")).to_have_count(1)
    expect(console.page.locator("#history .restore")).to_have_count(0)


def test_recall_removes_the_message_and_its_pin(console: Console, app: NativeApp) -> None:
    chat_id = _chat(app, "recall")
    kept, recalled = app.api.send_many(chat_id, 2, sender="alice")
    app.api.pin(chat_id, recalled)
    console.open_chat(app.app_id, chat_id)
    console.page.once("dialog", _accept)

    console.page.click(f"#messages tr[data-message-id='{recalled}'] .recall")

    row = console.page.locator(f"#messages tr[data-message-id='{recalled}']")
    expect(row).to_have_attribute("data-recalled", "1")
    expect(row.locator(".recall")).to_have_count(0)
    expect(console.page.locator(f"li.pin[data-message-id='{recalled}']")).to_have_count(0)
    assert app.api.pinned_ids(chat_id) == []
    expect(console.page.locator(f"#messages tr[data-message-id='{kept}']")).to_have_count(1)


def test_dissolve_ends_the_chat_and_returns_to_the_app(console: Console, app: NativeApp) -> None:
    chat_id = _chat(app, "dissolve")
    console.open_chat(app.app_id, chat_id)
    console.page.once("dialog", _accept)

    console.page.click("#dissolve")

    expect(console.page).to_have_url(f"{console.base_url}/console/apps/{app.app_id}")
    expect(console.page.locator("#chats")).not_to_contain_text(chat_id)
    expect_reply(app.api.send_request(chat_id, "after the end", sender="alice"), 410)


def test_dissolve_declined_changes_nothing(console: Console, app: NativeApp) -> None:
    chat_id = _chat(app, "kept")
    console.open_chat(app.app_id, chat_id)
    console.page.once("dialog", lambda dialog: dialog.dismiss())

    console.page.click("#dissolve")

    expect(console.page).to_have_url(
        f"{console.base_url}/console/apps/{app.app_id}/chats/{chat_id}"
    )
    expect_reply(app.api.get_chat_request(chat_id), 200)


def test_a_users_list_shows_global_then_personal_pins_first(
    console: Console, app: NativeApp
) -> None:
    quiet = _chat(app, "quiet", "bob")
    personal = _chat(app, "personal", "bob")
    everyone = _chat(app, "everyone", "bob")
    latest = _chat(app, "latest", "bob")
    app.api.send_many(latest, 1, sender="alice")  # the most recent activity of the unpinned
    expect_reply(app.api.pin_conversation_request("bob", personal, ttl_seconds=3600), 201)
    expect_reply(app.api.pin_globally_request(everyone), 201)

    console.goto(f"/console/apps/{app.app_id}")
    console.page.click("#users a[href$='/users/bob']")

    rows = console.page.locator("#conversations tbody tr")
    expect(rows).to_have_count(4)
    order = rows.evaluate_all("rows => rows.map(r => [r.dataset.chatId, r.dataset.pinned])")
    assert order[:2] == [[everyone, "global"], [personal, "user"]]
    assert order[2] == [latest, ""] and order[3] == [quiet, ""]
    personal_row = console.page.locator(f"#conversations tr[data-chat-id='{personal}']")
    expect(personal_row.locator(".expiry")).to_contain_text("expires in")
    console.screenshot("user")


def test_the_apps_events_are_live_and_filtered_by_type_and_chat(
    console: Console, app: NativeApp
) -> None:
    first = _chat(app, "first")
    second = _chat(app, "second")
    console.goto(f"/console/apps/{app.app_id}/events")
    expect(console.page.locator("#stream-state")).to_have_attribute("data-state", "live")

    (in_first,) = app.api.send_many(first, 1, sender="alice")
    (in_second,) = app.api.send_many(second, 1, sender="alice")
    app.api.pin(first, in_first)
    app.api.pin(second, in_second)

    events = console.page.locator("#events li")
    expect(events.and_(console.page.locator("[data-type='pin.created']"))).to_have_count(2)
    expect(events.and_(console.page.locator("[data-type='message.sent']"))).to_have_count(2)
    console.page.fill("#event-filter", "pin.")
    console.page.fill("#chat-filter", second)
    shown = console.page.locator("#events li:not([hidden])")
    expect(shown).to_have_count(1)
    expect(shown).to_contain_text(in_second)
    console.screenshot("events")


def test_must_read_progress_follows_the_acks_live(console: Console, app: NativeApp) -> None:
    chat_id = _chat(app, "must read", "bob", "carol")
    (message_id,) = app.api.send_many(chat_id, 1, sender="alice")
    app.api.pin(chat_id, message_id)
    console.open_chat(app.app_id, chat_id)
    pin = console.page.locator(f"li.pin[data-message-id='{message_id}']")

    pin.locator("summary").click()
    pin.locator("input[name=note]").fill("read before Friday")
    pin.locator("input[name=must_read]").check()
    pin.locator("button[type=submit]").click()

    expect(pin.locator(".must-read")).to_have_text("read by 0 of 3")
    expect(pin.locator(".pin-note")).to_have_text("read before Friday")
    (shown,) = app.api.pins(chat_id)["pins"]
    assert (shown["must_read"], shown["note"]) == (True, "read before Friday")

    app.api.ack(chat_id, message_id, user_id="bob")
    expect(pin.locator(".must-read")).to_have_text("read by 1 of 3")


def test_set_then_clear_a_pins_expiry(console: Console, app: NativeApp) -> None:
    chat_id = _chat(app, "expiry")
    (message_id,) = app.api.send_many(chat_id, 1, sender="alice")
    app.api.pin(chat_id, message_id)
    console.open_chat(app.app_id, chat_id)
    pin = console.page.locator(f"li.pin[data-message-id='{message_id}']")

    before = now_ms()
    pin.locator("summary").click()
    pin.locator("input[name=expires_in_s]").fill("600")
    pin.locator("button[type=submit]").click()
    expect(pin.locator(".expiry")).to_contain_text("expires in 10 min")
    (shown,) = app.api.pins(chat_id)["pins"]
    assert before + 600_000 <= shown["expires_at_ms"] <= now_ms() + 600_000

    pin.locator("summary").click()
    pin.locator("input[name=clear_expiry]").check()
    pin.locator("button[type=submit]").click()
    expect(pin.locator(".expiry")).to_have_count(0)
    assert app.api.pins(chat_id)["pins"][0]["expires_at_ms"] is None


def _pinned(app: NativeApp, user_id: str) -> list[tuple[str, str | None]]:
    return [(c["chat_id"], c["pinned"]) for c in app.api.conversations(user_id) if c["pinned"]]


def test_pin_a_conversation_for_a_user_and_for_everyone(console: Console, app: NativeApp) -> None:
    mine = _chat(app, "mine", "bob")
    everyone = _chat(app, "everyone", "bob")
    console.goto(f"/console/apps/{app.app_id}/users/bob")
    expect(console.page.locator("#stream-state")).to_have_attribute("data-state", "live")

    def row(chat_id: str) -> Locator:
        return console.page.locator(f"#conversations tr[data-chat-id='{chat_id}']")

    row(mine).locator(".pin-conversation").click()
    expect(row(mine)).to_have_attribute("data-pinned", "user")
    assert _pinned(app, "bob") == [(mine, "user")]

    console.page.once("dialog", _accept)
    row(everyone).locator(".pin-global").click()
    expect(row(everyone)).to_have_attribute("data-pinned", "global")
    assert _pinned(app, "bob") == [(everyone, "global"), (mine, "user")]

    row(mine).locator(".unpin-conversation").click()
    expect(row(mine)).to_have_attribute("data-pinned", "")
    assert _pinned(app, "bob") == [(everyone, "global")]


def test_a_users_list_follows_changes_made_elsewhere(console: Console, app: NativeApp) -> None:
    chat_id = _chat(app, "elsewhere", "bob")
    console.goto(f"/console/apps/{app.app_id}/users/bob")
    expect(console.page.locator("#stream-state")).to_have_attribute("data-state", "live")

    expect_reply(app.api.pin_conversation_request("bob", chat_id), 201)

    row = console.page.locator(f"#conversations tr[data-chat-id='{chat_id}']")
    expect(row).to_have_attribute("data-pinned", "user")


def test_a_refused_pin_shows_why_and_changes_nothing(console: Console, app: NativeApp) -> None:
    chat_id = _chat(app, "full")
    app.api.set_policy(chat_id, max_pins=1, overflow="reject")
    first, second = app.api.send_many(chat_id, 2, sender="alice")
    app.api.pin(chat_id, first)
    version = app.api.version(chat_id)
    console.open_chat(app.app_id, chat_id)

    console.page.click(f"#messages tr[data-message-id='{second}'] .pin-this")

    expect(console.page.locator("#pins .error")).to_be_visible()
    assert console.pinned() == [first]
    assert app.api.pinned_ids(chat_id) == [first] and app.api.version(chat_id) == version

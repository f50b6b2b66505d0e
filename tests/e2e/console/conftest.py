"""Console fixtures: Debian's Chromium (``chromium-headless-shell``) driven by pytest-playwright,
signed in to the shared live server's console, and an app seen through lark-oapi and the native
API at once. No browser is ever downloaded: the launch names the system's binary."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserType, Page, Playwright, expect, sync_playwright
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.e2e.feishu_client import Feishu
from tests.e2e.live_server import Server
from tests.e2e.native.client import NativeApp
from tests.e2e.native.conftest import native_app

CHROMIUM = "/usr/lib/chromium/chromium-headless-shell"
# Set to a directory (the README's pictures: docs/console) to keep the pages' screenshots.
SCREENSHOTS_ENV = "CHATPINS_CONSOLE_SCREENSHOTS"


# Playwright's sync API keeps an event loop running in this thread while it is started, and
# every asyncio.run() or asyncio test after it in the same worker then fails. pytest-playwright
# starts it for the whole session; here it lives only while this package's tests run (they are
# one xdist group, tests/conftest.py), and stops before any other test.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="package")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    found: BrowserType = getattr(playwright, browser_name or "chromium")
    return found


@pytest.fixture(scope="package")
def launch_browser(
    browser_type_launch_args: dict[str, Any], browser_type: BrowserType
) -> Callable[..., Browser]:
    def launch(**options: Any) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **options})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    started = launch_browser()
    yield started
    started.close()


@pytest.fixture(scope="package")
def browser_context_args() -> dict[str, Any]:
    """Each page's context: the defaults (pytest-playwright's session-wide one needs the
    session-wide Playwright)."""
    return {}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        # Like PostgreSQL's half: skipped where the browser is not installed, never in CI.
        missing = f"{CHROMIUM} is missing: apt-get install chromium-headless-shell"
        if os.environ.get("CHATPINS_REQUIRE_BROWSER") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ["--no-sandbox"]}


def first_frame(base_url: str, app_id: str, cookie: str, origin: str) -> dict[str, Any]:
    """What the event stream first sends to a connection with this cookie and ``Origin``: its
    ``hello``, or ``{"closed": code}``."""
    url = base_url.replace("http://", "ws://") + f"/v1/events/ws?app_id={app_id}"
    headers = {"Cookie": cookie, "Origin": origin}
    with connect(url, additional_headers=headers, open_timeout=10) as socket:
        try:
            frame: dict[str, Any] = json.loads(socket.recv(timeout=10))
        except ConnectionClosed as closed:
            return {"closed": closed.rcvd.code if closed.rcvd else None}
    return frame


@dataclass
class Console:
    page: Page
    base_url: str

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def sign_in(self, key: str) -> None:
        self.goto("/console/sign-in")
        self.page.fill("#admin_key", key)
        self.page.click("form.sign-in button[type=submit]")

    def open_chat(self, app_id: str, chat_id: str) -> None:
        self.goto(f"/console/apps/{app_id}/chats/{chat_id}")
        # The page follows the app's stream from now on: changes made after this are shown.
        expect(self.page.locator("#stream-state")).to_have_attribute("data-state", "live")

    def pinned(self) -> list[str]:
        ids: list[str] = self.page.locator("#pin-list li.pin").evaluate_all(
            "items => items.map(li => li.dataset.messageId)"
        )
        return ids

    def csrf(self) -> str:
        token = self.page.locator("meta[name=csrf-token]").get_attribute("content")
        assert token
        return token

    def screenshot(self, name: str) -> None:
        """Kept only where ``CHATPINS_CONSOLE_SCREENSHOTS`` says (the README's pictures)."""
        folder = os.environ.get(SCREENSHOTS_ENV)
        if folder:
            # The window, not the whole page: a shared server's app list runs to thousands.
            self.page.screenshot(path=str(Path(folder) / f"{name}.png"))


@pytest.fixture
def console(page: Page, server: Server) -> Console:
    """A browser page signed in to the console with the server's admin key."""
    page.set_default_timeout(10_000)
    signed_in = Console(page, server.base_url)
    signed_in.sign_in(server.admin_key)
    expect(page).to_have_url(server.base_url + "/console")
    return signed_in


@pytest.fixture
def app(server: Server, admin: httpx.Client, feishu: Feishu) -> Iterator[NativeApp]:
    """This test's app, through the native API (and lark-oapi: ``feishu`` is the same app)."""
    made = native_app(server.base_url, admin, feishu)
    yield made
    made.close()

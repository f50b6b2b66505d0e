"""Console fixtures: Debian's Chromium (``chromium-headless-shell``) driven by pytest-playwright,
signed in to the shared live server's console, and an app seen through lark-oapi and the native
API at once. No browser is ever downloaded: the launch names the system's binary."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.feishu_client import Feishu
from tests.e2e.live_server import Server
from tests.e2e.native.client import NativeApp
from tests.e2e.native.conftest import native_app

CHROMIUM = "/usr/lib/chromium/chromium-headless-shell"
# Set to a directory (the README's pictures: docs/console) to keep the pages' screenshots.
SCREENSHOTS_ENV = "CHATPINS_CONSOLE_SCREENSHOTS"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        # Like PostgreSQL's half: skipped where the browser is not installed, never in CI.
        missing = f"{CHROMIUM} is missing: apt-get install chromium-headless-shell"
        if os.environ.get("CHATPINS_REQUIRE_BROWSER") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ["--no-sandbox"]}


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

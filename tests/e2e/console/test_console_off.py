"""``CHATPINS_CONSOLE=false``: no console pages, and a console session cookie, valid where the
console is on (same database, same admin key), opens no event stream."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.e2e.console.conftest import first_frame
from tests.e2e.live_server import ADMIN_KEY, ServerProcess

DEMO_APP = "app_0123456789abcdef"  # local mode's demo app (README)


@contextmanager
def _serving(database_url: str, tmp: Path, console: str) -> Iterator[ServerProcess]:
    process = ServerProcess(database_url, tmp, extra_env={"CHATPINS_CONSOLE": console})
    process.start()
    try:
        yield process
    finally:
        process.stop()


def test_without_the_console_there_are_no_pages_and_no_console_streams(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    with _serving(database_url, tmp_path, "true") as on:
        with httpx.Client(base_url=on.base_url, timeout=10) as http:
            http.post("/console/sign-in", data={"admin_key": ADMIN_KEY})
            cookie = f"chatpins_console={http.cookies['chatpins_console']}"
        assert first_frame(on.base_url, DEMO_APP, cookie, on.base_url)["type"] == "hello"

    with _serving(database_url, tmp_path, "false") as off:
        with httpx.Client(base_url=off.base_url, timeout=10) as http:
            assert http.get("/console").status_code == 404
            signing_in = http.post("/console/sign-in", data={"admin_key": ADMIN_KEY})
            assert signing_in.status_code == 404 and "chatpins_console" not in http.cookies
            assert http.get("/console/static/htmx.min.js").status_code == 404
        assert first_frame(off.base_url, DEMO_APP, cookie, off.base_url) == {"closed": 4401}

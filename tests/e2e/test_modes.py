"""Local and production mode, as `chatpins serve` shows them: local (the SQLite default) makes
the demo app with the README's fixed credentials and prints them; production (`--mode
production`, `CHATPINS_MODE`, or any database but SQLite) makes no demo app, prints no secret and
refuses to start without an admin key."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_database
from tests.e2e import demo_credentials as demo
from tests.e2e import live_server
from tests.e2e.live_server import REPO_ROOT, ServerProcess
from tests.e2e.test_cli import POSTGRES_URL, chatpins

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
DEMO_LOGIN = {"app_id": demo.FEISHU_APP_ID, "app_secret": demo.FEISHU_APP_SECRET}


@pytest.fixture
def without_admin_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Servers started with no CHATPINS_ADMIN_KEY (the shared ones set it)."""
    with_key = live_server._server_env

    def env(extra_env: dict[str, str] | None = None) -> dict[str, str]:
        found = with_key(extra_env)
        found.pop("CHATPINS_ADMIN_KEY")
        return found

    monkeypatch.setattr(live_server, "_server_env", env)


def _serve(database_url: str, tmp: Path, **env: str) -> Iterator[ServerProcess]:
    process = ServerProcess(database_url, tmp, extra_env=env)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def local(tmp_path: Path) -> Iterator[ServerProcess]:
    yield from _serve(f"sqlite+aiosqlite:///{tmp_path / 'local.db'}", tmp_path)


@pytest.fixture
def production_sqlite(tmp_path: Path) -> Iterator[ServerProcess]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'production.db'}"
    yield from _serve(url, tmp_path, CHATPINS_MODE="production")


@pytest.fixture
def production_postgres(tmp_path: Path) -> Iterator[ServerProcess]:
    """Production by its database alone: no mode given."""
    if not POSTGRES_URL:
        pytest.skip("CHATPINS_TEST_POSTGRES_URL not set")
    with fresh_database(POSTGRES_URL, "chatpins_modes") as url:
        yield from _serve(url, tmp_path)


def _banner(process: ServerProcess) -> str:
    """What the server's last start printed before its log, from the address line on."""
    return process.log_path.read_text().rsplit("chatpins on ", 1)[1].split("INFO:", 1)[0]


@pytest.mark.sqlite
def test_local_mode_makes_the_demo_app_with_the_documented_credentials(
    local: ServerProcess,
) -> None:
    banner = _banner(local)
    assert "(mode: local;" in banner
    for value in (demo.APP_ID, demo.FEISHU_APP_ID, demo.IMKIT_CLIENT_KEY, *demo.SECRETS):
        assert value in banner
    with httpx.Client(base_url=local.base_url) as http:
        assert http.post(TOKEN_PATH, json=DEMO_LOGIN).json()["code"] == 0
        capabilities = http.get(
            "/v1/capabilities", headers={"Authorization": f"Bearer {demo.NATIVE_API_KEY}"}
        )
        assert capabilities.status_code == 200
        assert http.get("/rooms", headers={"IM-API-KEY": demo.IMKIT_API_KEY}).json()["RC"] == 0


@pytest.mark.sqlite
def test_a_rotated_demo_secret_is_no_longer_shown(local: ServerProcess) -> None:
    db = ("--database-url", local.database_url)
    shown = chatpins("apps", "show", demo.APP_ID, *db, "--json").stdout
    assert demo.FEISHU_APP_SECRET in shown
    chatpins("apps", "rotate-secret", demo.APP_ID, "--dialect", "feishu", *db)
    shown = chatpins("apps", "show", demo.APP_ID, *db, "--json").stdout
    assert demo.FEISHU_APP_SECRET not in shown and demo.IMKIT_API_KEY in shown
    with httpx.Client(base_url=local.base_url) as http:
        page = http.get("/").text
        assert demo.FEISHU_APP_SECRET not in page and demo.IMKIT_API_KEY in page
        assert http.post(TOKEN_PATH, json=DEMO_LOGIN).json()["code"] == 10014
    local.restart()
    banner = _banner(local)
    assert demo.FEISHU_APP_SECRET not in banner and demo.IMKIT_API_KEY in banner
    assert f"rotated (`chatpins apps show {demo.APP_ID}`)" in banner


def _production_shows_no_secret(process: ServerProcess) -> None:
    log = process.log_path.read_text()
    assert "(mode: production;" in log and "admin key: from CHATPINS_ADMIN_KEY" in log
    assert [value for value in demo.SECRETS if value in log] == []
    assert "demo app" not in log
    with httpx.Client(base_url=process.base_url) as http:
        assert http.post(TOKEN_PATH, json=DEMO_LOGIN).json() == {
            "code": 10014,
            "msg": "app id not exists",
        }
        admin = {"Authorization": f"Bearer {live_server.ADMIN_KEY}"}
        assert http.get(f"/v1/apps/{demo.APP_ID}", headers=admin).status_code == 404


@pytest.mark.sqlite
def test_production_mode_on_sqlite_makes_no_demo_app(production_sqlite: ServerProcess) -> None:
    _production_shows_no_secret(production_sqlite)


@pytest.mark.postgres
def test_postgres_is_production_mode_and_hides_the_database_password(
    production_postgres: ServerProcess,
) -> None:
    _production_shows_no_secret(production_postgres)
    url = production_postgres.database_url
    password = url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    assert f":{password}@" not in production_postgres.log_path.read_text()


@pytest.mark.sqlite
def test_production_refuses_to_start_without_an_admin_key_until_one_is_made(
    tmp_path: Path, without_admin_key: None
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'keyless.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATPINS_")}
    refused = subprocess.run(
        [sys.executable, "-m", "chatpins", "serve", "--mode", "production", "--port", "1"]
        + ["--database-url", url],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2
    assert "production mode needs an admin key" in refused.stderr
    assert "cpk_" not in refused.stdout + refused.stderr
    key = chatpins("admin-key", "rotate", "--database-url", url).stdout.strip()
    process = ServerProcess(url, tmp_path, extra_env={"CHATPINS_MODE": "production"})
    process.start()
    try:
        log = process.log_path.read_text()
        assert key not in log and "admin key: set earlier" in log
        with httpx.Client(base_url=process.base_url) as http:
            reply = http.post(
                "/v1/apps", json={"name": "ops"}, headers={"Authorization": f"Bearer {key}"}
            )
        assert reply.status_code == 201
    finally:
        process.stop()

"""A `chatpins serve` subprocess per backend, and the native provisioning calls."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = "e2e-admin-" + secrets.token_hex(16)
STARTUP_TIMEOUT_S = 30.0

# --------------------------------------------------------------------------- server process


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(extra_env: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["CHATPINS_ADMIN_KEY"] = ADMIN_KEY
    # Rate limits stay at their defaults (on); test-only variables do not leak into the server.
    for name in ("CHATPINS_RATE_LIMITS", "CHATPINS_TEST_POSTGRES_URL", "CHATPINS_REQUIRE_POSTGRES"):
        env.pop(name, None)
    src = str(REPO_ROOT / "src")
    env["PYTHONPATH"] = src + os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else src
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra_env or {})
    return env


class ServerProcess:
    """One `chatpins serve` subprocess on a fixed port (kept across restarts)."""

    def __init__(
        self,
        database_url: str,
        log_dir: Path,
        extra_env: dict[str, str] | None = None,
        extra_args: list[str] | None = None,
        upgrade_url: str | None = None,
        startup_timeout_s: float = STARTUP_TIMEOUT_S,
    ) -> None:
        self.database_url = database_url
        # Where `chatpins db upgrade` runs, when not on the serving URL (a server reaching its
        # database through PgBouncer migrates on the direct connection).
        self.upgrade_url = upgrade_url or database_url
        # Several servers starting at once on a busy machine may need longer than one alone.
        self.startup_timeout_s = startup_timeout_s
        # Settings of this server only (``CHATPINS_*`` variables), on top of the defaults.
        self.extra_env = dict(extra_env or {})
        # Options of this server's `chatpins serve` only (e.g. ``--load FILE``).
        self.extra_args = list(extra_args or [])
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"chatpins-{self.port}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def _log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "<no log>"

    def _fail(self, why: str) -> None:
        log = self._log_text()
        print(f"chatpins server failed: {why}\n--- server log ---\n{log}", file=sys.stderr)
        pytest.fail(f"chatpins server failed: {why}\n--- server log ---\n{log}", pytrace=False)

    def upgrade(self) -> None:
        with self.log_path.open("ab") as log:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "chatpins",
                    "db",
                    "upgrade",
                    "--database-url",
                    self.upgrade_url,
                ],
                cwd=REPO_ROOT,
                env=_server_env(self.extra_env),
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=False,
            )
        if done.returncode != 0:
            self._fail(f"`chatpins db upgrade` exited with {done.returncode}")

    def start(self, upgrade: bool = True) -> None:
        """Migrate (unless ``upgrade`` is False: another server on the database did), start
        `chatpins serve`, and wait until it answers."""
        if upgrade:
            self.upgrade()
        log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chatpins",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--database-url",
                self.database_url,
                *self.extra_args,
            ],
            cwd=REPO_ROOT,
            env=_server_env(self.extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._fail(f"`chatpins serve` exited with {self._proc.returncode} during startup")
            try:
                if httpx.get(f"{self.base_url}/v1/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        self._fail(f"/v1/health not 200 within {self.startup_timeout_s:.0f} s")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def send_signal(self, sig: int) -> None:
        assert self._proc is not None, "the server is not running"
        self._proc.send_signal(sig)

    def wait_exit(self, timeout: float) -> int:
        """The exit code, once the process ends within ``timeout`` seconds."""
        assert self._proc is not None, "the server is not running"
        code = self._proc.wait(timeout=timeout)
        self._proc = None
        return code


@dataclass
class Server:
    backend: str
    process: ServerProcess

    @property
    def base_url(self) -> str:
        return self.process.base_url

    @property
    def admin_key(self) -> str:
        return ADMIN_KEY


def database_url_for(backend: str, tmp_dir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_dir / 'chatpins.db'}"
    url = os.environ.get("CHATPINS_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CHATPINS_REQUIRE_POSTGRES") == "1":
            pytest.fail(
                "CHATPINS_REQUIRE_POSTGRES=1 but CHATPINS_TEST_POSTGRES_URL is not set",
                pytrace=False,
            )
        pytest.skip("CHATPINS_TEST_POSTGRES_URL not set")
    return url


def admin_client(server: Server) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url,
        headers={"Authorization": f"Bearer {server.admin_key}"},
        timeout=30.0,
    )


def create_app(admin: httpx.Client, name: str) -> dict[str, Any]:
    reply = admin.post("/v1/apps", json={"name": name})
    assert reply.status_code == 201, reply.text
    return reply.json()


def remove_webhooks(admin: httpx.Client, app_id: str) -> None:
    """Delete every webhook of an app. A shared server's webhook worker visits each active
    webhook every round (at least once a second, the whole session), retrying deliveries to
    receivers long gone: a test's webhooks go when the test does."""
    listed = admin.get(f"/v1/apps/{app_id}/webhooks")
    assert listed.status_code == 200, listed.text
    for hook in listed.json()["webhooks"]:
        removed = admin.delete(f"/v1/apps/{app_id}/webhooks/{hook['id']}")
        assert removed.status_code == 204, removed.text

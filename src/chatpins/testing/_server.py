"""A real chatpins server for a test suite: a ``chatpins serve`` subprocess on a free port,
on its own temporary SQLite database unless given another, with test controls on."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from chatpins.testing._app import ChatpinsApp

START_TIMEOUT_S = 60.0


class ServerFailed(RuntimeError):
    """The server did not start (its log is in the message)."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChatpinsServer:
    """One running server: ``url``, ``admin_key``, ``new_app()``, ``stop()``."""

    def __init__(
        self,
        *,
        database_url: str | None = None,
        env: dict[str, str] | None = None,
        workdir: Path | None = None,
    ) -> None:
        self._own_dir = workdir is None
        self.workdir = Path(tempfile.mkdtemp(prefix="chatpins-")) if workdir is None else workdir
        self.database_url = database_url or f"sqlite+aiosqlite:///{self.workdir / 'chatpins.db'}"
        self.admin_key = "adm_" + secrets.token_hex(16)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.workdir / "chatpins.log"
        self._env = dict(env or {})
        self._process: subprocess.Popen[bytes] | None = None
        self._admin: httpx.Client | None = None

    # ---- life
    def start(self) -> ChatpinsServer:
        env = {
            **os.environ,
            "CHATPINS_ADMIN_KEY": self.admin_key,
            # Test suites move apps' clocks, set fault rules and reset apps, whatever database.
            "CHATPINS_TEST_CONTROLS": "true",
            # A suite's webhook receivers listen on this machine.
            "CHATPINS_WEBHOOK_ALLOW_PRIVATE": "true",
            "CHATPINS_LOG_LEVEL": "warning",
            **self._env,
        }
        if not self.database_url.startswith("sqlite"):
            # ``serve`` upgrades the embedded SQLite itself; any other database explicitly.
            self._run_cli(["db", "upgrade", "--database-url", self.database_url], env)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "chatpins", "serve", "--host", "127.0.0.1"]
                + ["--port", str(self.port), "--database-url", self.database_url],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()
        return self

    def _run_cli(self, args: list[str], env: dict[str, str]) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "chatpins", *args], env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise ServerFailed(f"chatpins {' '.join(args)} failed:\n{done.stdout}{done.stderr}")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise ServerFailed(f"chatpins serve exited:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/v1/health", timeout=1.0).status_code == 200:
                    return
            time.sleep(0.05)  # polling a starting process: there is nothing to wait on
        self.stop()
        raise ServerFailed(
            f"chatpins serve did not answer in {START_TIMEOUT_S:.0f} s:\n{self.log()}"
        )

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-8000:]
        except OSError:
            return ""

    # ---- use
    @property
    def admin(self) -> httpx.Client:
        """An HTTP client of the admin API (``/v1/apps``…), with the admin key."""
        if self._admin is None:
            self._admin = httpx.Client(
                base_url=self.url,
                headers={"Authorization": f"Bearer {self.admin_key}"},
                timeout=30.0,
            )
        return self._admin

    def new_app(self, name: str = "test app") -> ChatpinsApp:
        """A fresh app with credentials for every dialect and the native API."""
        reply = self.admin.post("/v1/apps", json={"name": name})
        _raise_for(reply)
        return ChatpinsApp(self.url, self.admin, reply.json())

    def __enter__(self) -> ChatpinsServer:
        return self if self._process is not None else self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _raise_for(reply: httpx.Response) -> None:
    if reply.is_error:
        raise RuntimeError(
            f"{reply.request.method} {reply.request.url.path}: {reply.status_code} {reply.text}"
        )


@contextlib.contextmanager
def server(
    *, database_url: str | None = None, env: dict[str, str] | None = None
) -> Iterator[ChatpinsServer]:
    """``with chatpins.testing.server() as s:`` a running server, stopped (and its temporary
    database removed) on leaving."""
    running = ChatpinsServer(database_url=database_url, env=env).start()
    try:
        yield running
    finally:
        running.stop()

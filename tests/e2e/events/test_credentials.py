"""A stream lives no longer than its credential: revoking a user's token or letting it expire
closes that user's streams with 4401, and nobody else's. Revocations are events of their own
(``token.revoked``), seen by the app and never carrying the token."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e import live_server
from tests.e2e.events.client import open_stream
from tests.e2e.imkit.conftest import IMKit, ok
from tests.e2e.live_server import REPO_ROOT, ServerProcess

UNAUTHENTICATED = 4401
SHORT_TTL_S = 2


def _chat(imkit: IMKit) -> None:
    for user in ("alice", "bob"):
        imkit.user(user)
    imkit.room("ab", "alice", ["bob"])


def _issue(imkit: IMKit, user: str, **extra: Any) -> dict[str, Any]:
    """Another IMKit token for ``user``, through the native API."""
    reply = imkit.admin.post(
        f"/v1/apps/{imkit.app['id']}/tokens", json={"user_id": user, "dialect": "imkit", **extra}
    )
    assert reply.status_code == 201, reply.text
    return reply.json()


async def test_revoking_a_users_tokens_closes_its_stream_and_no_other(imkit: IMKit) -> None:
    _chat(imkit)
    alice_token = imkit.tokens["alice"]
    app = await open_stream(imkit.base_url, imkit.api_key)
    alice = await open_stream(imkit.base_url, alice_token)
    bob = await open_stream(imkit.base_url, imkit.tokens["bob"])
    try:
        imkit.send("alice", "ab", "before")
        assert (await alice.next_event())["event"]["type"] == "message.sent"
        assert (await bob.next_event())["event"]["type"] == "message.sent"

        revoked = ok(imkit.platform("DELETE", "/admin/clients/alice/token"))
        assert revoked == {"revokedTokens": 1}
        closed = await alice.read_until_closed()
        assert (closed.code, closed.reason) == (UNAUTHENTICATED, "revoked_token")
        assert len(alice.events) == 1  # nothing after the revocation

        # bob's stream stays open and goes on: the next thing it shows is bob's own message
        # (a user's view never shows the revocation itself).
        imkit.send("bob", "ab", "after")
        frame = await bob.next_event()
        assert frame["event"]["type"] == "message.sent"
        assert json.loads(frame["event"]["payload"]["content"]) == "after"

        # The app sees the revocation as an event that names whose token, not the token.
        assert [(await app.next_event())["event"]["type"] for _ in range(2)] == [
            "message.sent",
            "token.revoked",
        ]
        event = app.events[-1]["event"]
        assert event["audience"] == "app"
        assert event["payload"]["user_id"] == "alice"
        assert event["payload"]["token_kind"] == "user"
        assert event["payload"]["token_dialect"] == "imkit"
        assert event["payload"]["revoked"] == 1
        assert alice_token not in json.dumps(event)
    finally:
        for stream in (app, alice, bob):
            await stream.close()


async def test_revoking_one_token_closes_only_the_stream_opened_with_it(imkit: IMKit) -> None:
    _chat(imkit)
    first, second = imkit.tokens["alice"], _issue(imkit, "alice")["token"]
    on_first = await open_stream(imkit.base_url, first)
    on_second = await open_stream(imkit.base_url, second, in_query=True)
    try:
        revoked = ok(imkit.platform("DELETE", "/admin/clients/alice/token", json={"token": first}))
        assert revoked == {"revokedTokens": 1}
        closed = await on_first.read_until_closed()
        assert (closed.code, closed.reason) == (UNAUTHENTICATED, "revoked_token")

        # The same user's stream on its other, still valid token keeps receiving.
        imkit.send("bob", "ab", "still there")
        frame = await on_second.next_event()
        assert json.loads(frame["event"]["payload"]["content"]) == "still there"
    finally:
        for stream in (on_first, on_second):
            await stream.close()


async def test_a_stream_closes_when_its_token_expires(imkit: IMKit) -> None:
    _chat(imkit)
    issued = _issue(imkit, "alice", ttl_seconds=SHORT_TTL_S)
    expires_at_ms = int(datetime.fromisoformat(issued["expires_at"]).timestamp() * 1000)
    stream = await open_stream(imkit.base_url, issued["token"])
    try:
        assert stream.hello["expires_at_ms"] == expires_at_ms
        # The close is the synchronisation: read until it comes (or the timeout fails it).
        closed = await stream.read_until_closed(wait_s=SHORT_TTL_S + 10)
        assert (closed.code, closed.reason) == (UNAUTHENTICATED, "expired_token")
        # Not early: the server and this test read the same machine's clock.
        assert time.time() * 1000 >= expires_at_ms
    finally:
        await stream.close()


async def test_a_stream_on_a_token_that_does_not_expire_soon_reports_its_expiry(
    imkit: IMKit,
) -> None:
    _chat(imkit)
    app = await open_stream(imkit.base_url, imkit.api_key)
    user = await open_stream(imkit.base_url, imkit.tokens["bob"])
    try:
        assert app.hello["expires_at_ms"] is None
        assert user.hello["expires_at_ms"] > time.time() * 1000
    finally:
        for stream in (app, user):
            await stream.close()


@pytest.mark.sqlite
async def test_rotating_the_admin_key_closes_the_streams_opened_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server whose admin key is its own (generated, stored hashed), not CHATPINS_ADMIN_KEY:
    `chatpins admin-key rotate`, run beside it, ends the streams opened with the old key."""
    with_configured_key = live_server._server_env

    def stored_key_env(extra_env: dict[str, str] | None = None) -> dict[str, str]:
        env = with_configured_key(extra_env)
        env.pop("CHATPINS_ADMIN_KEY")
        return env

    monkeypatch.setattr(live_server, "_server_env", stored_key_env)
    process = ServerProcess(f"sqlite+aiosqlite:///{tmp_path / 'rotate.db'}", tmp_path)
    process.start()
    try:
        shown = re.search(r"admin key \(shown once\): (\S+)", process.log_path.read_text())
        assert shown is not None, "the server did not print its new admin key"
        old_key = shown.group(1)
        async with httpx.AsyncClient(base_url=process.base_url) as http:
            reply = await http.post(
                "/v1/apps",
                json={"name": "rotation"},
                headers={"Authorization": f"Bearer {old_key}"},
            )
        assert reply.status_code == 201, reply.text
        app_id = reply.json()["id"]
        stream = await open_stream(process.base_url, old_key, app_id=app_id)
        try:
            cli = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "chatpins", "admin-key", "rotate"),
                *("--database-url", process.database_url),
                cwd=REPO_ROOT,
                env=stored_key_env(),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(cli.communicate(), 60)
            assert cli.returncode == 0, err.decode()
            new_key = out.decode().strip()
            closed = await stream.read_until_closed()
            assert (closed.code, closed.reason) == (UNAUTHENTICATED, "admin_key_rotated")
        finally:
            await stream.close()
        fresh = await open_stream(process.base_url, new_key, app_id=app_id)
        await fresh.close()
    finally:
        process.stop()


async def test_rotating_an_apps_api_key_closes_the_streams_opened_with_it(
    imkit: IMKit, server: live_server.Server
) -> None:
    stream = await open_stream(imkit.base_url, imkit.api_key)
    try:
        cli = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "chatpins", "apps", "rotate-secret", imkit.app["id"]),
            *("--dialect", "imkit", "--database-url", server.process.database_url),
            cwd=REPO_ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _out, err = await asyncio.wait_for(cli.communicate(), 60)
        assert cli.returncode == 0, err.decode()
        # The close is the synchronisation: the keeper looks at keys every few seconds.
        closed = await stream.read_until_closed(wait_s=30)
        assert (closed.code, closed.reason) == (UNAUTHENTICATED, "api_key_rotated")
    finally:
        await stream.close()

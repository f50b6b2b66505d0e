"""Refused connections: the handshake succeeds, then the server closes with 4401 (credentials)
or 4400 (anything else wrong) before any frame, with a reason saying why."""

from __future__ import annotations

import pytest

from tests.e2e.events.apps import head, send_messages
from tests.e2e.events.client import open_stream, rejected
from tests.e2e.imkit.conftest import IMKit
from tests.e2e.live_server import Server

UNAUTHENTICATED, BAD_REQUEST = 4401, 4400


@pytest.mark.parametrize("in_query", [False, True], ids=["header", "query"])
async def test_missing_or_unknown_credentials_close_4401(
    imkit: IMKit, server: Server, in_query: bool
) -> None:
    closed = await rejected(imkit.base_url, None)
    assert closed.code == UNAUTHENTICATED and closed.reason == "missing_credentials"
    for wrong in ("nope", imkit.client_key, server.admin_key + "x", imkit.api_key[:-1]):
        closed = await rejected(imkit.base_url, wrong, in_query=in_query)
        assert closed.code == UNAUTHENTICATED, (wrong, closed)
        assert closed.reason == "unknown_credentials"


async def test_a_revoked_user_token_closes_4401(imkit: IMKit) -> None:
    imkit.user("alice")
    token = imkit.tokens["alice"]
    stream = await open_stream(imkit.base_url, token)
    await stream.close()
    reply = imkit.platform("DELETE", "/admin/clients/alice/token", json={"token": token})
    assert reply.status_code == 200, reply.text
    closed = await rejected(imkit.base_url, token)
    assert closed.code == UNAUTHENTICATED


@pytest.mark.parametrize("after", ["abc", "-1", "1.5", "", " 1", "0x1"])
async def test_an_after_that_is_not_a_seq_closes_4400(imkit: IMKit, after: str) -> None:
    closed = await rejected(imkit.base_url, imkit.api_key, after=after)
    assert closed.code == BAD_REQUEST
    assert closed.reason.startswith("invalid_cursor"), closed


async def test_an_after_past_the_newest_seq_closes_4400(imkit: IMKit) -> None:
    imkit.user("alice")
    imkit.room("lobby", "alice", [])
    await send_messages(imkit, "alice", "lobby", 2)
    newest = head(imkit)
    closed = await rejected(imkit.base_url, imkit.api_key, after=newest + 1)
    assert closed.code == BAD_REQUEST
    assert f"after={newest + 1}" in closed.reason and str(newest) in closed.reason
    # The same cursor is fine once the app has got there.
    await send_messages(imkit, "alice", "lobby", 1)
    stream = await open_stream(imkit.base_url, imkit.api_key, after=newest + 1)
    assert stream.hello["after"] == stream.hello["head"] == newest + 1
    await stream.close()


async def test_an_unknown_format_closes_4400(imkit: IMKit) -> None:
    for format_ in ("feishu", "ZIM", ""):
        closed = await rejected(imkit.base_url, imkit.api_key, format=format_)
        assert closed.code == BAD_REQUEST, format_
        assert closed.reason.startswith("unknown_format"), closed


async def test_the_admin_key_reads_one_app_named_by_app_id(imkit: IMKit, server: Server) -> None:
    imkit.user("alice")
    imkit.room("lobby", "alice", [])
    closed = await rejected(imkit.base_url, server.admin_key)
    assert closed.code == BAD_REQUEST and closed.reason.startswith("app_id_required")
    closed = await rejected(imkit.base_url, server.admin_key, app_id="app_unknown")
    assert closed.code == BAD_REQUEST and closed.reason.startswith("app_not_found"), closed
    for in_query in (False, True):
        stream = await open_stream(
            imkit.base_url, server.admin_key, in_query=in_query, app_id=imkit.app["id"], after=0
        )
        assert stream.hello["app_id"] == imkit.app["id"] and stream.hello["user_id"] is None
        assert stream.hello["head"] == head(imkit) > 0
        assert await stream.read_events(head(imkit)) == list(range(1, head(imkit) + 1))
        await stream.close()

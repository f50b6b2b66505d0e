"""Every HTTP method on ``/`` gets ZIM's JSON envelope at HTTP 200 (zim.md §3): ``TRACE``,
``PROPFIND`` and methods nobody defined too, never a plain-text 405."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.live_server import Server, create_app
from tests.e2e.zim.client import Zim

BODY = {"FromUserId": "alice", "ConvList": [{"ConvId": "bob", "ConvType": 0}], "PinnedType": 1}

# WebDAV and other registered methods, and any RFC 9110 token. HEAD has no body to read the
# envelope from; CONNECT changes what the request target means; a GET (or HEAD) of / without
# Action is a browser's, answered by the landing page (tests/e2e/test_landing_and_docs.py).
methods = st.sampled_from(["TRACE", "PROPFIND", "PROPPATCH", "MKCOL", "PURGE", "SEARCH"]) | (
    st.from_regex(r"[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,19}", fullmatch=True).filter(
        lambda m: m.upper() not in {"GET", "HEAD", "CONNECT"}
    )
)


@pytest.fixture
def ready(server: Server, admin: httpx.Client) -> Iterator[Zim]:
    app = create_app(admin, "e2e zim methods")
    # Many calls in a second: the per-action rate limits would answer first.
    reply = admin.patch(f"/v1/apps/{app['id']}", json={"zim_rate_limits": False})
    assert reply.status_code == 200, reply.text
    with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
        zim = Zim(server.base_url, app["zim"]["app_id"], app["zim"]["server_secret"], http)
        zim.register("alice", "bob")
        yield zim


def _envelope(reply: httpx.Response) -> dict:
    assert reply.status_code == 200, (reply.request.method, reply.status_code, reply.text)
    assert reply.headers["content-type"].startswith("application/json")
    data = reply.json()
    assert isinstance(data["Code"], int) and data["Code"] != 0
    assert isinstance(data["Message"], str) and data["Message"]
    assert isinstance(data["RequestId"], str) and data["RequestId"].isdigit()
    return data


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(method=methods)
def test_any_method_gets_the_json_envelope_at_200_and_changes_nothing(
    ready: Zim, method: str
) -> None:
    # No Action: the gateway's first check answers, whatever the method.
    assert _envelope(ready.http.request(method, "/"))["Code"] == 100000006
    # A signed call without its body: the action's own parameter code, its list empty.
    signed = _envelope(ready.http.request(method, "/", params=ready.params("ConvPinned")))
    assert signed["Code"] == 660000002
    assert signed["ErrorList"] == []
    assert ready.pinned("alice") == []


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND"])
def test_trace_and_propfind_with_a_body_get_the_envelope(ready: Zim, method: str) -> None:
    reply = ready.http.request(method, "/", params={"Action": "PinEverything"}, json=BODY)
    assert _envelope(reply)["Code"] == 100000007
    assert ready.pinned("alice") == []

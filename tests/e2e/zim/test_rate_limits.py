"""Per-action QPS per AppId (zim.md §7): more than 20 in one second → the excess refused."""

from __future__ import annotations

import asyncio

import httpx

from tests.e2e.zim.client import Zim


def _burst(zim: Zim, action: str, body: dict, n: int) -> list[int]:
    return [r["Code"] for r in _burst_replies(zim, action, body, n)]


def _burst_replies(zim: Zim, action: str, body: dict, n: int) -> list[dict]:
    async def run() -> list[dict]:
        async with httpx.AsyncClient(base_url=zim.base_url, timeout=30.0) as http:
            params = [zim.params(action) for _ in range(n)]  # signed up front: one second
            replies = await asyncio.gather(*(http.post("/", params=p, json=body) for p in params))
            assert all(r.status_code == 200 for r in replies)
            return [r.json() for r in replies]

    return asyncio.run(run())


def test_more_than_20_conv_pinned_in_a_second_see_the_excess_refused(zim_factory) -> None:
    zim = zim_factory()
    zim.register("alice", "bob")
    body = {"FromUserId": "alice", "ConvList": [{"ConvId": "bob", "ConvType": 0}], "PinnedType": 1}
    codes = _burst(zim, "ConvPinned", body, 30)
    assert codes.count(0) <= 20
    assert codes.count(660300005) >= 10
    assert set(codes) <= {0, 660300005}
    # Another app has its own budget.
    other = zim_factory()
    other.register("alice", "bob")
    assert other.pin("alice", [("bob", 0)])["Code"] == 0


def test_rate_limited_reply_has_an_empty_error_list(zim: Zim) -> None:
    zim.register("alice", "bob")
    body = {"FromUserId": "alice", "ConvList": [{"ConvId": "bob", "ConvType": 0}], "PinnedType": 0}
    replies = _burst_replies(zim, "ConvPinned", body, 25)
    limited = [r for r in replies if r["Code"] == 660300005]
    assert limited and all(r["ErrorList"] == [] for r in limited)


def test_unauthenticated_requests_do_not_count(zim: Zim) -> None:
    zim.register("alice")
    for _ in range(30):
        params = zim.params("QueryConversationList")
        params["Signature"] = "0" * 32
        assert zim.raw(params, {"FromUserId": "alice"})["Code"] == 100000005
    assert zim.call("QueryConversationList", {"FromUserId": "alice"})["Code"] == 0


def test_query_list_and_user_register_have_their_own_codes(zim: Zim) -> None:
    codes = _burst(zim, "QueryConversationList", {"FromUserId": "nobody"}, 25)
    assert codes.count(660300005) >= 5
    codes = _burst(zim, "UserRegister", {"UserInfo": []}, 25)
    assert codes.count(660700001) >= 5
    codes = _burst(zim, "CreateGroup", {}, 25)
    assert codes.count(660600010) >= 5


def test_rate_limits_can_be_lifted_per_app(zim: Zim, admin: httpx.Client) -> None:
    reply = admin.patch(f"/v1/apps/{zim.app_id}", json={"zim_rate_limits": False})
    assert reply.status_code == 200 and reply.json()["settings"]["zim_rate_limits"] is False
    zim.register("alice")
    # The same burst that sees 10 refused with the limits on (test above).
    assert _burst(zim, "QueryConversationList", {"FromUserId": "alice"}, 30) == [0] * 30

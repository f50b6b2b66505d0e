"""One chat, every dialect: an IMKit room seen and pinned through Feishu (lark-oapi)."""

from __future__ import annotations

from tests.e2e.feishu_client import Feishu, build_lark_client
from tests.e2e.imkit.conftest import IMKit, ok


def _feishu_view(imkit: IMKit, room: str) -> Feishu:
    """The same app through lark-oapi; its bot (user id = the `cli_…` app id) joins the room."""
    app = imkit.app
    bot = app["feishu"]["app_id"]
    ok(imkit.platform("POST", f"/rooms/{room}/members", json={"invitees": [bot]}))
    client = build_lark_client(imkit.base_url, bot, app["feishu"]["app_secret"])
    return Feishu(imkit.base_url, imkit.admin, app, client)


def test_pin_made_through_imkit_is_listed_by_feishu(demo: IMKit) -> None:
    sent = demo.send("member", "demo-room", "announcement")
    ok(demo.as_user("owner", "POST", f"/messages/{sent['_id']}/pin"))
    feishu = _feishu_view(demo, "demo-room")
    assert feishu.pinned_ids("demo-room") == [sent["_id"]]
    # The replacement through IMKit shows in Feishu too: one pin.
    second = demo.send("member", "demo-room", "newer")
    ok(demo.as_user("admin", "POST", f"/messages/{second['_id']}/pin"))
    assert feishu.pinned_ids("demo-room") == [second["_id"]]


def test_pin_made_through_feishu_replaces_the_imkit_pin(demo: IMKit) -> None:
    first = demo.send("member", "demo-room", "first")
    second = demo.send("member", "demo-room", "second")
    ok(demo.as_user("owner", "POST", f"/messages/{first['_id']}/pin"))
    feishu = _feishu_view(demo, "demo-room")
    # The room's owner pins through Feishu with a Feishu user token: the one-pin rule holds.
    feishu.pin_ok(second["_id"], as_user="owner")
    assert demo.get_room("demo-room")["pinnedMessage"]["_id"] == second["_id"]
    assert demo.pinned_ids("demo-room") == [second["_id"]]
    assert feishu.pinned_ids("demo-room") == [second["_id"]]
    # A plain member may not pin through Feishu either: the room's rule is the room's.
    feishu.expect_error(feishu.pin(first["_id"], as_user="member"), 230046)
    assert demo.pinned_ids("demo-room") == [second["_id"]]

"""Feishu's push shape: our events mapped to its types, its encryption and signature."""

from __future__ import annotations

import hashlib
import json

from lark_oapi.core.utils import AESCipher

from chatpins.core.entities import App, Event
from chatpins.dialects.feishu import events as feishu

APP = App(id="app_1", name="t", created_at=0, feishu_app_id="cli_1", feishu_secret_hash="")
BOT = APP.bot_user_id  # the app's own bot


def _event(type_: str, **payload: object) -> Event:
    base = {"actor": "alice", "actor_is_bot": False, "dialect": "feishu", "at": 1700000000000}
    return Event(type_, base | payload, "chat:oc_1", seq=7, created_at=1700000000000)


def test_lark_oapi_decrypts_what_we_encrypt() -> None:
    text = json.dumps({"schema": "2.0", "header": {"event_type": "im.message.receive_v1"}})
    assert AESCipher("my key").decrypt_str(feishu.encrypt("my key", text)) == text


def test_the_signature_is_the_documented_sha256() -> None:
    body, _ = b'{"encrypt":"x"}', None
    expected = hashlib.sha256(b"1700000000" + b"nonce" + b"key" + body).hexdigest()
    assert feishu.signature("1700000000", "nonce", "key", body) == expected
    body, headers = feishu.request({"a": 1}, "key", 1700000000)
    assert headers["X-Lark-Signature"] == feishu.signature(
        headers["X-Lark-Request-Timestamp"], headers["X-Lark-Request-Nonce"], "key", body
    )
    plain, plain_headers = feishu.request({"a": 1}, "", 1700000000)
    assert json.loads(plain) == {"a": 1} and "X-Lark-Signature" not in plain_headers


def test_a_message_from_the_apps_own_bot_is_not_pushed() -> None:
    sent = dict(chat_id="oc_1", chat_type="group", message_id="om_1", type="text", content="{}")
    assert feishu.event_type_names(_event("message.sent", **sent), APP) == [feishu.RECEIVE]
    own = _event("message.sent", **sent)
    own.payload["actor"] = BOT
    assert feishu.event_type_names(own, APP) == []


def test_recall_types_follow_who_recalled() -> None:
    for who, expected in (
        ("sender", "message_owner"),
        ("owner", "group_owner"),
        ("admin", "group_manager"),
        ("platform", "enterprise_manager"),
    ):
        event = _event("message.recalled", chat_id="oc_1", message_id="om_1", recalled_by=who)
        [(name, body)] = feishu.feishu_events(APP, event)
        assert name == feishu.RECALLED and body["recall_type"] == expected
        assert body["recall_time"] == "1700000000000"


def test_members_become_user_and_bot_events() -> None:
    users = [
        {"id": "bob", "name": "Bob", "is_bot": False},
        {"id": BOT, "name": "Our bot", "is_bot": True},
    ]
    added = _event(
        "member.added", chat_id="oc_1", chat_name="c", user_ids=["bob", BOT], users=users
    )
    found = feishu.feishu_events(APP, added)
    assert [name for name, _ in found] == [feishu.USER_ADDED, feishu.BOT_ADDED]
    assert found[0][1]["users"][0]["name"] == "Bob"
    assert found[0][1]["users"][0]["user_id"]["user_id"] == "bob"
    left = _event(
        "member.removed",
        chat_id="oc_1",
        user_ids=["alice"],
        users=[{"id": "alice", "name": "A", "is_bot": False}],
    )
    assert feishu.event_type_names(left, APP) == [feishu.USER_WITHDRAWN]
    removed = _event("member.removed", chat_id="oc_1", user_ids=["bob"], users=[users[0]])
    assert feishu.event_type_names(removed, APP) == [feishu.USER_DELETED]


def test_chat_updates_report_only_fields_feishu_knows() -> None:
    pin_only = _event(
        "chat.updated",
        chat_id="oc_1",
        changes={"pin_rights": {"before": {"pin": "member"}, "after": {"pin": "admin"}}},
    )
    assert feishu.feishu_events(APP, pin_only) == []
    edit = _event(
        "chat.updated",
        chat_id="oc_1",
        changes={
            "edit_permission": {"before": "members", "after": "owner_admins"},
            "owner_id": {"before": "alice", "after": "bob"},
        },
    )
    [(name, body)] = feishu.feishu_events(APP, edit)
    assert name == feishu.UPDATED
    assert body["before_change"]["edit_permission"] == "all_members"
    assert body["after_change"]["edit_permission"] == "only_owner"
    assert body["after_change"]["owner_id"]["user_id"] == "bob"
    assert body["operator_id"]["user_id"] == "alice"


def test_each_feishu_event_has_its_own_stable_id() -> None:
    a = feishu.feishu_event_id("app_1", 7, feishu.USER_ADDED)
    assert a == feishu.feishu_event_id("app_1", 7, feishu.USER_ADDED) and len(a) == 32
    assert a != feishu.feishu_event_id("app_1", 7, feishu.BOT_ADDED)
    assert a != feishu.feishu_event_id("app_2", 7, feishu.USER_ADDED)

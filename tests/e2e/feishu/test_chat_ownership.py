"""Ownership transfer through chat update (feishu.md §6.3: owner, managers and the creating bot
may change everything, owner_id included)."""

from __future__ import annotations

from lark_oapi.api.im.v1 import UpdateChatRequest, UpdateChatRequestBody

from tests.e2e.feishu_client import Feishu


def _transfer(feishu: Feishu, chat_id: str, new_owner: str, as_user: str):  # type: ignore[no-untyped-def]
    request = (
        UpdateChatRequest.builder()
        .chat_id(chat_id)
        .user_id_type("open_id")
        .request_body(UpdateChatRequestBody.builder().owner_id(feishu.open_id(new_owner)).build())
        .build()
    )
    return feishu.client.im.v1.chat.update(request, feishu.option(as_user))


def test_manager_may_transfer_ownership(feishu: Feishu) -> None:
    feishu.add_users("alice", "bob", "carol")
    chat_id = feishu.create_chat(owner="alice", members=["bob", "carol"])
    feishu.expect_ok(feishu.add_managers(chat_id, ["bob"], as_user="alice"))
    feishu.expect_ok(_transfer(feishu, chat_id, "carol", as_user="bob"))
    assert feishu.expect_ok(feishu.get_chat(chat_id)).owner_id == feishu.open_id("carol")


def test_plain_member_may_not_transfer_ownership(feishu: Feishu) -> None:
    feishu.add_users("alice", "bob")
    chat_id = feishu.create_chat(owner="alice", members=["bob"])
    feishu.expect_error(_transfer(feishu, chat_id, "bob", as_user="bob"), 232016)
    assert feishu.expect_ok(feishu.get_chat(chat_id)).owner_id == feishu.open_id("alice")

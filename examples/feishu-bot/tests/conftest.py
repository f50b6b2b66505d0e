"""The bot's tests run against chatpins through its pytest plugin: ``chatpins_app`` (a fresh
app per test on a server the plugin starts) is all they need."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from lark_oapi.api.im.v1 import CreateChatRequest, CreateChatRequestBody

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the bot's module


@pytest.fixture
def client(chatpins_app):
    return chatpins_app.lark_client()


@pytest.fixture
def chat_id(client) -> str:
    """A group the bot created (so the bot is in it, as Feishu requires)."""
    body = CreateChatRequestBody.builder().name("announcements").build()
    response = client.im.v1.chat.create(CreateChatRequest.builder().request_body(body).build())
    assert response.success(), response.msg
    return response.data.chat_id

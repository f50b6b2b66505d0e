from __future__ import annotations

import pytest
from announcer import Announcer, FeishuError


def test_an_announcement_is_posted_and_pinned(client, chat_id) -> None:
    bot = Announcer(client)
    message_id = bot.announce(chat_id, "release at five")
    assert bot.pinned(chat_id) == [message_id]


def test_only_the_newest_three_stay_pinned(client, chat_id) -> None:
    bot = Announcer(client, keep_pinned=3)
    sent = [bot.announce(chat_id, f"news {i}") for i in range(4)]
    assert bot.pinned(chat_id) == sent[:0:-1]  # newest first, the first one unpinned


def test_the_bot_retries_when_feishu_says_too_fast(client, chat_id, chatpins_app) -> None:
    chatpins_app.fail_next("feishu", "POST /open-apis/im/v1/pins", code=230020, times=2)
    bot = Announcer(client, attempts=3)
    message_id = bot.announce(chat_id, "third time lucky")
    assert bot.pinned(chat_id) == [message_id]


def test_the_bot_gives_up_after_its_attempts(client, chat_id, chatpins_app) -> None:
    chatpins_app.fail_next("feishu", "POST /open-apis/im/v1/pins", code=230020, times=3)
    bot = Announcer(client, attempts=3)
    with pytest.raises(FeishuError) as refused:
        bot.announce(chat_id, "never pinned")
    assert refused.value.code == 230020
    assert bot.pinned(chat_id) == []

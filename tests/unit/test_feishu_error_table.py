from __future__ import annotations

from chatpins.core.errors import Gone, InvalidArgument, NotFound, PermissionDenied
from chatpins.dialects.feishu.errors import codes, to_feishu


def test_pin_errors_map_to_the_documented_codes() -> None:
    cases = [
        (NotFound("message_not_found"), 230001),
        (PermissionDenied("bot_not_in_chat"), 230002),
        (PermissionDenied("bot_disabled"), 230006),
        (Gone("message_recalled"), 230011),
        (PermissionDenied("user_unavailable_to_bot"), 230013),
        (PermissionDenied("missing_pin_scope"), 230027),
        (NotFound("chat_not_found"), 230045),
        (PermissionDenied("may_not_pin"), 230046),
        (PermissionDenied("message_invisible"), 230050),
        (Gone("message_self_destructing"), 230111),
        (Gone("chat_dissolved"), 232009),
    ]
    for error, code in cases:
        assert to_feishu(error, "message.pin").code == code, error.reason


def test_endpoint_entries_override_their_group() -> None:
    assert to_feishu(NotFound("chat_not_found"), "message.send").code == 230034
    assert to_feishu(NotFound("chat_not_found"), "chat.get").code == 232006


def test_unmapped_reason_is_the_groups_invalid_parameter() -> None:
    assert to_feishu(InvalidArgument("something_new"), "message.pin").code == 230001
    assert to_feishu(InvalidArgument("something_new"), "chat.create").code == 232001


def test_every_business_code_is_http_400() -> None:
    for _family, reason, code, _msg in codes():
        if 230000 <= code < 240000:
            assert to_feishu(InvalidArgument(reason), "message").status == 400


def test_docs_list_every_code_of_the_table() -> None:
    from pathlib import Path

    docs = (Path(__file__).parents[2] / "docs" / "feishu.md").read_text()
    for family, reason, code, _msg in codes():
        assert f"| {code} | `{family or 'any'}` | `{reason}` |" in docs, (code, reason)

from __future__ import annotations

from chatpins.core.errors import (
    Gone,
    InvalidArgument,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    Reason,
)
from chatpins.dialects.feishu.errors import GENERIC, codes, invalid, to_feishu


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


def test_a_reason_left_to_the_fallback_is_the_groups_invalid_parameter() -> None:
    assert Reason.INVALID_USER_ID in GENERIC
    assert to_feishu(InvalidArgument(Reason.INVALID_USER_ID), "message.pin").code == 230001
    assert to_feishu(InvalidArgument(Reason.INVALID_USER_ID), "chat.create").code == 232001


def test_a_chat_over_its_pin_cap_answers_the_chosen_code() -> None:
    assert to_feishu(LimitExceeded(Reason.PIN_LIMIT), "message.pin").code == 230073


def test_transferring_ownership_has_its_own_reason_and_the_settings_code() -> None:
    refused = to_feishu(PermissionDenied(Reason.MAY_NOT_TRANSFER_OWNERSHIP), "chat.update")
    assert refused.code == 232016
    managers = to_feishu(PermissionDenied(Reason.ONLY_OWNER_MAY_MANAGE_ADMINS), "chat.managers")
    assert managers.code == 232038


def test_every_business_code_is_http_400() -> None:
    for _family, reason, code, _msg in codes():
        if 230000 <= code < 240000 and isinstance(reason, Reason):
            assert to_feishu(InvalidArgument(reason), "message").status == 400
    assert invalid("message").status == invalid("chat").status == 400


def test_docs_list_every_code_of_the_table() -> None:
    from pathlib import Path

    docs = (Path(__file__).parents[2] / "docs" / "feishu.md").read_text()
    for family, reason, code, _msg in codes():
        assert f"| {code} | `{family or 'any'}` | `{reason}` |" in docs, (code, reason)

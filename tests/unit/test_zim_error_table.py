from __future__ import annotations

from pathlib import Path

from chatpins.core.errors import InvalidArgument, LimitExceeded, NotFound, PermissionDenied, Reason
from chatpins.dialects.zim.errors import GENERIC, all_failed_code, codes, from_core, sub


def test_conversation_pin_reasons_map_to_the_sheets_codes() -> None:
    cases = [
        (NotFound("peer_not_registered"), 660800001),
        (NotFound("group_not_found"), 660600001),
        (PermissionDenied("not_group_member"), 660600024),
        (LimitExceeded("conversation_pin_limit"), 660800048),
        (NotFound("operator_not_registered"), 660500002),
        (InvalidArgument("self_conversation"), 660000002),
    ]
    for error, code in cases:
        assert sub(error)[0] == code, error.reason


def test_unmapped_reason_is_a_general_error_or_the_actions_fallback() -> None:
    assert Reason.MESSAGE_TYPE in GENERIC
    assert from_core(InvalidArgument(Reason.MESSAGE_TYPE)).code == 660000001
    failed = from_core(InvalidArgument(Reason.MESSAGE_TYPE), "conversation_query_failed")
    assert failed.code == 660800053


def test_all_failed_code_is_the_shared_subcode_else_general() -> None:
    assert all_failed_code([660800001, 660800001]) == 660800001
    assert all_failed_code([660800001, 660600001]) == 660000001


def test_docs_list_every_code_of_the_table() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "zim.md").read_text()
    for reason, code, _message in codes():
        assert f"| {code} | `{reason}` |" in docs, (code, reason)

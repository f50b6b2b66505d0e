from __future__ import annotations

from pathlib import Path

from chatpins.core.errors import (
    Conflict,
    Gone,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RateLimited,
    Reason,
    Unauthenticated,
)
from chatpins.dialects.imkit.errors import GENERIC, codes, to_imkit


def test_pin_errors_map_to_the_sheet() -> None:
    cases = [
        (NotFound("message_not_found"), 404, "Message not found", "MESSAGE_NOT_FOUND"),
        (PermissionDenied("message_invisible"), 403, "Forbidden", "NOT_ROOM_MEMBER"),
        (PermissionDenied("may_not_pin"), 403, "Forbidden", "INSUFFICIENT_PERMISSIONS"),
        (Gone("message_recalled"), 400, "Bad Request", "MESSAGE_RECALLED"),
        (NotFound("chat_not_found"), 404, "Room not found", "ROOM_NOT_FOUND"),
        (NotFound("user_not_found"), 404, "Client not found", "CLIENT_NOT_FOUND"),
        (Conflict("token_conflict"), 409, "Conflict", "TOKEN_CONFLICT"),
        (InvalidArgument("unknown_users"), 400, "Invalid parameters", "INVALID_USER_ID"),
        (Unauthenticated("expired_token"), 401, "Unauthorized", "INVALID_TOKEN"),
    ]
    for error, status, rm, code in cases:
        got = to_imkit(error, "message.pin")
        assert (got.status, got.rm, got.code) == (status, rm, code), error.reason


def test_sending_into_an_unknown_room_is_forbidden_not_missing() -> None:
    assert to_imkit(NotFound("chat_not_found"), "message.send").code == "NOT_ROOM_MEMBER"
    assert to_imkit(NotFound("chat_not_found"), "room.get").code == "ROOM_NOT_FOUND"


def test_unmapped_reasons_fall_back_on_their_type_never_401() -> None:
    unmapped = Reason.DUPLICATE_KEY
    assert unmapped in GENERIC
    assert to_imkit(InvalidArgument(unmapped), "x").code == "INVALID_BODY"
    assert to_imkit(PermissionDenied(unmapped), "x").status == 403
    assert to_imkit(RateLimited(unmapped), "x").status == 429


def test_transferring_ownership_has_its_own_reason() -> None:
    got = to_imkit(PermissionDenied(Reason.MAY_NOT_TRANSFER_OWNERSHIP), "room.update")
    assert (got.status, got.code) == (403, "INSUFFICIENT_PERMISSIONS")


def test_one_reason_for_an_ill_formed_user_id() -> None:
    got = to_imkit(InvalidArgument(Reason.INVALID_USER_ID), "client.upsert")
    assert (got.status, got.code) == (400, "INVALID_BODY")
    assert "malformed_user_id" not in {r.value for r in Reason}


def test_401_only_for_tokens_and_the_api_key() -> None:
    for _family, _reason, status, _rm, code in codes():
        if status == 401:
            assert code in ("INVALID_TOKEN", "INVALID_API_KEY")


def test_docs_list_every_code_of_the_table() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "imkit.md").read_text()
    for family, reason, status, rm, code in codes():
        row = f"| {status} | {rm} | `{code}` | `{family or 'any'}` | `{reason}` |"
        assert row in docs, row

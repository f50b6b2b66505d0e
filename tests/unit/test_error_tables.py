"""Every dialect's error table answers every core reason on purpose.

For each dialect and each ``Reason``: the table has an entry for it, or the dialect's
``GENERIC`` set declares that it answers the family's generic code by design — never both, and
never neither. Adding a ``Reason`` without deciding what each vendor answers fails here.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chatpins.core.errors import (
    Conflict,
    Gone,
    InvalidArgument,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    RateLimited,
    Reason,
    Unauthenticated,
)
from chatpins.dialects.feishu import errors as feishu
from chatpins.dialects.imkit import errors as imkit
from chatpins.dialects.zim import errors as zim

ERROR_TYPES = (
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Conflict,
    LimitExceeded,
    RateLimited,
    Gone,
    Unauthenticated,
)


def _feishu_entry(reason: Reason) -> bool:
    # An entry for any family the table names counts ("message.send" narrows "message").
    families = {family or "any" for family, *_ in feishu.codes()}
    return any(feishu.lookup(family, reason) is not None for family in families)


def _imkit_entry(reason: Reason) -> bool:
    families = {family or "any" for family, *_ in imkit.codes()}
    return any(imkit.lookup(family, reason) is not None for family in families)


def _zim_entry(reason: Reason) -> bool:
    return any(r == reason for r, _code, _message in zim.codes())


DIALECTS: dict[str, tuple[Callable[[Reason], bool], frozenset[Reason]]] = {
    "feishu": (_feishu_entry, feishu.GENERIC),
    "imkit": (_imkit_entry, imkit.GENERIC),
    "zim": (_zim_entry, zim.GENERIC),
}


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_reason_has_an_entry_or_is_declared_generic(dialect: str) -> None:
    has_entry, generic = DIALECTS[dialect]
    undecided = [r.value for r in Reason if not has_entry(r) and r not in generic]
    assert undecided == [], f"{dialect}: map these or declare them in GENERIC"


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_no_reason_is_both_mapped_and_declared_generic(dialect: str) -> None:
    has_entry, generic = DIALECTS[dialect]
    assert sorted(r.value for r in generic if has_entry(r)) == []


@pytest.mark.parametrize("reason", sorted(feishu.GENERIC))
def test_feishu_generic_reasons_answer_the_groups_invalid_parameter(reason: Reason) -> None:
    assert feishu.to_feishu(InvalidArgument(reason), "message.pin").code == 230001
    assert feishu.to_feishu(PermissionDenied(reason), "chat.update").code == 232001


@pytest.mark.parametrize("reason", sorted(imkit.GENERIC))
def test_imkit_generic_reasons_answer_by_their_error_type(reason: Reason) -> None:
    assert imkit.to_imkit(InvalidArgument(reason), "room.update").code == "INVALID_BODY"
    assert imkit.to_imkit(PermissionDenied(reason), "room.update").code == (
        "INSUFFICIENT_PERMISSIONS"
    )


@pytest.mark.parametrize("reason", sorted(zim.GENERIC))
def test_zim_generic_reasons_answer_the_general_business_error(reason: Reason) -> None:
    assert zim.from_core(InvalidArgument(reason)).code == zim.GENERAL


@pytest.mark.parametrize("error_type", ERROR_TYPES, ids=lambda t: t.__name__)
def test_a_reason_must_be_a_reason(error_type: type[InvalidArgument]) -> None:
    with pytest.raises(ValueError):
        error_type("not_a_reason")  # type: ignore[arg-type]


def test_the_reasons_named_in_the_tables_are_the_enum() -> None:
    # A core reason spelled as a bare string in a table would dodge the checks above.
    values = {r.value for r in Reason}
    rows = [r for _f, r, _c, _m in feishu.codes()] + [r for _f, r, *_ in imkit.codes()]
    rows += [r for r, _c, _m in zim.codes()]
    assert [r for r in rows if r in values and not isinstance(r, Reason)] == []

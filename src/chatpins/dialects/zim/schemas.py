"""Checks on ZIM body fields (zim.md §5, §6). JSON types are strict: ``"1"`` is not ``1``,
``true`` is not ``1``. A failed check is 660000002 (``invalid_param``) unless noted."""

from __future__ import annotations

import string
from typing import Any

from chatpins.dialects.zim.errors import error
from chatpins.intake import INT64_MAX

INT64_MIN = -INT64_MAX - 1

MAX_ID_BYTES = 32
# Digits, letters and ! # $ % & ( ) + - : ; < = . > ? @ [ ] ^ _ space { } | ~ (zim.md §5).
ID_CHARS = frozenset(string.ascii_letters + string.digits + "!#$%&()+-:;<=.>?@[]^_ {}|~")


def id_problem(value: Any) -> str | None:
    """Why ``value`` is not a ZIM id (UserId, ConvId, GroupId), or None."""
    if not isinstance(value, str) or not value:
        return "invalid_param"
    if len(value.encode()) > MAX_ID_BYTES:
        return "user_id_too_long"
    if not set(value) <= ID_CHARS:
        return "invalid_param"
    return None


def require_id(body: dict[str, Any], name: str) -> str:
    """A required id field; any problem fails the whole request with 660000002."""
    value = body.get(name)
    if id_problem(value) is not None:
        raise error("invalid_param", f"{name} must be 1-32 bytes of the allowed characters")
    assert isinstance(value, str)  # id_problem accepts strings only
    return value


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def int_field(
    body: dict[str, Any],
    name: str,
    *,
    default: int | None = None,
    choices: tuple[int, ...] | None = None,
    low: int = INT64_MIN,
    high: int = INT64_MAX,
) -> int:
    """An integer field; without a narrower range, one that fits a signed 64-bit column."""
    value = body.get(name, default)
    if value is None:
        raise error("invalid_param", f"{name} is required")
    if not is_int(value):
        raise error("invalid_param", f"{name} must be an integer")
    if choices is not None and value not in choices:
        raise error("invalid_param", f"{name} must be one of {list(choices)}")
    if not low <= value <= high:
        raise error("invalid_param", f"{name} out of range")
    return int(value)


def bool_field(body: dict[str, Any], name: str, default: bool = False) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise error("invalid_param", f"{name} must be a boolean")
    return value


def str_field(body: dict[str, Any], name: str, max_bytes: int, *, reason: str = "") -> str:
    """An optional string of at most ``max_bytes`` UTF-8 bytes."""
    value = body.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise error("invalid_param", f"{name} must be a string")
    if len(value.encode()) > max_bytes:
        raise error(reason or "invalid_param", f"{name} longer than {max_bytes} bytes")
    return value


def list_field(
    body: dict[str, Any], name: str, *, high: int, over: str = "invalid_param", low: int = 1
) -> list[Any]:
    value = body.get(name)
    if not isinstance(value, list):
        raise error("invalid_param", f"{name} must be a list")
    if len(value) < low:
        raise error("invalid_param", f"{name} must not be empty")
    if len(value) > high:
        raise error(over, f"{name} holds more than {high} items")
    return value


def object_items(items: list[Any], name: str) -> list[dict[str, Any]]:
    if not all(isinstance(item, dict) for item in items):
        raise error("invalid_param", f"every item of {name} must be an object")
    return items

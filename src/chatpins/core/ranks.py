"""Position keys: where a pin stands in its chat's order, independent of when it was pinned.

A key is a base-62 string compared byte by byte ("fractional indexing"): between any two keys
there is always another, so putting a pin at a position or moving one writes that pin's row
only, never its neighbours'. Storage keeps the keys under a byte-wise collation.

Keys grow by about one character per six inserts into the same gap; a key that would pass
``MAX_KEY_LENGTH`` makes the chat's keys be spread out again (``spread``), one write per pin,
which a person reordering by hand will not meet in practice.
"""

from __future__ import annotations

from fractional_indexing import generate_key_between, generate_n_keys_between

MAX_KEY_LENGTH = 200  # storage holds 255


def between(before: str | None, after: str | None) -> str:
    """A key after ``before`` and before ``after`` (None: the start or the end of the list)."""
    return str(generate_key_between(before, after))


def spread(count: int) -> list[str]:
    """``count`` short keys in ascending order, evenly apart."""
    return [str(k) for k in generate_n_keys_between(None, None, count)]


def too_long(key: str) -> bool:
    return len(key) > MAX_KEY_LENGTH


def between_many(before: str | None, after: str | None, count: int) -> list[str]:
    """``count`` ascending keys after ``before`` and before ``after``."""
    return [str(k) for k in generate_n_keys_between(before, after, count)]

"""Position keys: where a pin stands in its chat's order, independent of when it was pinned.

A key is a base-62 string compared byte by byte ("fractional indexing"): between any two keys
there is always another, so putting a pin at a position or moving one writes that pin's row
only, never its neighbours'. Storage keeps the keys under a byte-wise collation.

Keys grow by about one character per six inserts into the same gap; a key that would pass
``MAX_KEY_LENGTH`` makes the chat's keys be spread out again (``spread``), one write per pin,
which a person reordering by hand will not meet in practice.
"""

from __future__ import annotations

import bisect
from typing import Protocol, TypeVar

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


def at_position(keys: list[str], position: int) -> str:
    """A key that puts a new item at ``position`` of a list whose keys ascend (past the end:
    the end)."""
    position = min(position, len(keys))
    before = keys[position - 1] if position > 0 else None
    after = keys[position] if position < len(keys) else None
    return between(before, after)


def rekey(keys: list[str]) -> dict[int, str]:
    """New keys for the items of a list, given in their wanted order by their current keys,
    so that the keys ascend: only the items out of place get one (index -> new key).

    A longest run of items whose keys already ascend stays (patience sorting, O(n log n));
    each gap between them gets fresh keys. If a fresh key would grow past ``MAX_KEY_LENGTH``,
    every item gets an evenly spread key instead.
    """
    keep = _longest_ascending_run(keys)
    moved: dict[int, str] = {}
    index = 0
    while index < len(keys):
        if index in keep:
            index += 1
            continue
        end = index
        while end < len(keys) and end not in keep:
            end += 1
        before = keys[index - 1] if index > 0 else None
        after = keys[end] if end < len(keys) else None
        fresh = between_many(before, after, end - index)
        if any(too_long(k) for k in fresh):
            return {i: k for i, k in enumerate(spread(len(keys))) if keys[i] != k}
        moved.update(zip(range(index, end), fresh, strict=True))
        index = end
    return moved


def _longest_ascending_run(keys: list[str]) -> set[int]:
    """Indexes of a longest subsequence of ``keys`` that already ascends."""
    tails: list[str] = []  # smallest last key of an ascending run of each length
    tail_index: list[int] = []
    previous: list[int] = [-1] * len(keys)
    for i, key in enumerate(keys):
        length = bisect.bisect_left(tails, key)
        if length == len(tails):
            tails.append(key)
            tail_index.append(i)
        else:
            tails[length] = key
            tail_index[length] = i
        previous[i] = tail_index[length - 1] if length > 0 else -1
    run, i = set(), tail_index[-1] if tail_index else -1
    while i >= 0:
        run.add(i)
        i = previous[i]
    return run


class Ranked(Protocol):
    """Anything placed by a position key."""

    rank: str


R = TypeVar("R", bound=Ranked)


def insert(others: list[R], target: R, position: int) -> tuple[list[R], list[R]]:
    """Put ``target`` at ``position`` among ``others`` (in order): the new order, and which of
    the others got a new key too — none, unless the target's key would grow too long and all
    are spread out again."""
    position = min(position, len(others))
    order = [*others[:position], target, *others[position:]]
    key = at_position([p.rank for p in others], position)
    if not too_long(key):
        target.rank = key
        return order, []
    for item, fresh in zip(order, spread(len(order)), strict=True):
        item.rank = fresh
    return order, [p for p in order if p is not target]

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Mapping
from typing import Any, Protocol, TypeVar, cast

import sqlalchemy as sa

T = TypeVar("T")


class Connection(Protocol):
    """What repositories use: SQLite's inline connection, or PostgreSQL's async one. Which
    backend it is, repositories learn from ``Database.backend`` (see the unit of work)."""

    async def execute(self, statement: Any, parameters: Any = None) -> Any: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    async def close(self) -> None: ...


def key(name: str) -> sa.BindParameter[Any]:
    """A named parameter of a statement built once at import. The hot statements are built
    that way: building a statement per call (and its cache key) costs more than running it
    on SQLite."""
    return sa.bindparam("p_" + name)


class Repository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # Set by writes that change who a credential stands for (apps, users, tokens): the
        # unit of work then tells the process to forget its cached identities.
        self.changed_identities = False

    async def _one(
        self, cls: type[T], statement: sa.Executable, params: Mapping[str, Any] | None = None
    ) -> T | None:
        """The first row ``statement`` returns, as a ``cls``; None when it returns none."""
        return to_entity(cls, (await self._conn.execute(statement, params)).first())

    async def _all(
        self, cls: type[T], statement: sa.Executable, params: Mapping[str, Any] | None = None
    ) -> list[T]:
        """Every row ``statement`` returns, as ``cls`` instances, in its order."""
        return [from_row(cls, row) for row in await self._conn.execute(statement, params)]


def from_row(cls: type[T], row: sa.Row[Any]) -> T:
    """Build a dataclass from a row whose column names match its fields; a field typed as an
    enum gets the enum member of the stored value."""
    names, enums = _fields(cast(type, cls))  # a class is hashable; typeshed's cache says Hashable
    values = {k: v for k, v in row._mapping.items() if k in names}
    for name, kind in enums:
        value = values.get(name)
        if value is not None:
            values[name] = kind(value)
    return cls(**values)


def to_entity(cls: type[T], row: sa.Row[Any] | None) -> T | None:
    """``from_row``, or None for no row."""
    return None if row is None else from_row(cls, row)


@functools.cache
def _fields(cls: type) -> tuple[frozenset[str], tuple[tuple[str, type[enum.Enum]], ...]]:
    """The dataclass's field names, and its enum-typed fields (``E`` or ``E | None``) with
    their enum: worked out once per class."""
    hints = typing.get_type_hints(cls)
    enums = []
    for f in dataclasses.fields(cls):
        kind = _enum_of(hints[f.name])
        if kind is not None:
            enums.append((f.name, kind))
    return frozenset(f.name for f in dataclasses.fields(cls)), tuple(enums)


def _enum_of(hint: Any) -> type[enum.Enum] | None:
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(members) == 1:
            return _enum_of(members[0])
    return None


def to_row(entity: Any, table: sa.Table) -> dict[str, Any]:
    """The dataclass's fields that are columns of ``table``."""
    return {k: v for k, v in dataclasses.asdict(entity).items() if k in table.c}

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Protocol, TypeVar, cast

import sqlalchemy as sa

T = TypeVar("T")


class Connection(Protocol):
    """What repositories use: SQLite's inline connection, or PostgreSQL's async one."""

    dialect: Any

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


def to_entity(cls: type[T], row: sa.Row[Any] | None) -> T | None:
    """Build a dataclass from a row whose column names match its fields."""
    if row is None:
        return None
    names = _field_names(cast(type, cls))  # a class is hashable; typeshed's cache says Hashable
    return cls(**{k: v for k, v in row._mapping.items() if k in names})


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls))


def to_row(entity: Any, table: sa.Table) -> dict[str, Any]:
    """The dataclass's fields that are columns of ``table``."""
    return {k: v for k, v in dataclasses.asdict(entity).items() if k in table.c}

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")


class Repository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn


def to_entity(cls: type[T], row: sa.Row[Any] | None) -> T | None:
    """Build a dataclass from a row whose column names match its fields."""
    if row is None:
        return None
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in row._mapping.items() if k in names})


def to_row(entity: Any, table: sa.Table) -> dict[str, Any]:
    """The dataclass's fields that are columns of ``table``."""
    return {k: v for k, v in dataclasses.asdict(entity).items() if k in table.c}

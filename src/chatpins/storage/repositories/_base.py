from __future__ import annotations

import dataclasses
import enum
import functools
import operator
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar, cast

import sqlalchemy as sa

from chatpins.core.ports import SweepScope
from chatpins.storage.direct import built_once

__all__ = ["built_once"]  # marks the hot statements; re-exported for the repositories

T = TypeVar("T")


class Connection(Protocol):
    """What repositories use: SQLite's inline connection, or PostgreSQL's async one. Which
    backend it is, repositories learn from ``Database.backend`` (see the unit of work)."""

    async def execute(self, statement: Any, parameters: Any = None) -> Any: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    async def close(self) -> None: ...


def in_scope(query: sa.Select[Any], app_id: sa.ColumnElement[Any], scope: SweepScope) -> Any:
    """``query`` narrowed to the apps a sweep looks at (see ``SweepScope``)."""
    if scope.only_app is not None:
        return query.where(app_id == scope.only_app)
    if scope.skip_apps:
        return query.where(app_id.not_in(scope.skip_apps))
    return query


def key(name: str) -> sa.BindParameter[Any]:
    """A named parameter of a statement built once at import. The hot statements are built
    that way: building a statement per call (and its cache key) costs more than running it
    on SQLite."""
    return sa.bindparam("p_" + name)


def insert_selecting(
    table: sa.Table,
    values: Mapping[str, Any],
    read: Mapping[str, sa.ColumnElement[Any]],
    where: sa.ColumnElement[bool],
) -> sa.Insert:
    """``INSERT INTO table SELECT <values>, <read> WHERE <where>``: one row of ``values`` whose
    ``read`` columns come from another table in the same statement. Citus refuses a subquery
    inside ``INSERT ... VALUES``, and runs this."""
    columns = [table.c[name] for name in values]
    given = (sa.literal(values[column.name], column.type) for column in columns)
    source = sa.select(*given, *read.values()).where(where)
    return table.insert().from_select([*columns, *read], source)


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
        return all_from_rows(cls, (await self._conn.execute(statement, params)).all())


def all_from_rows(cls: type[T], rows: Sequence[Any]) -> list[T]:
    """``from_row`` for each of one result's rows: how its columns map to ``cls`` is worked
    out once for them all (100 chats, their policies nested, built through each row's mapping
    took half of a conversation list's CPU)."""
    if len(rows) < 2:
        return [from_row(cls, row) for row in rows]
    first = rows[0]
    if getattr(first, "_names", None) is not None:  # direct rows: known by their type
        row_type: Any = type(first)
        build = _row_builder(cast(type, cls), row_type)
    else:
        names = first._fields
        if len(set(names)) != len(names):  # a name twice: the mapping says which is meant
            return [from_row(cls, row) for row in rows]
        build = _builder(cls, {name: i for i, name in enumerate(names)}, "")
    return [build(row) for row in rows]


def from_row(cls: type[T], row: sa.Row[Any]) -> T:
    """Build a dataclass from a row whose column names match its fields; a field typed as an
    enum gets the enum member of the stored value; a field typed as a dataclass is built from
    the columns named ``<field>_<its field>``."""
    names = getattr(row, "_names", None)
    if names is not None:  # a row of the direct path: its columns are known by its type
        row_type: Any = type(row)
        return cast(T, _row_builder(cast(type, cls), row_type)(row))
    return _build(cls, row._mapping)


@functools.cache
def _row_builder(cls: type, row_type: type) -> Callable[[Any], Any]:
    """``from_row`` for one dataclass and one shape of row, its columns looked up once (a list
    of 50 pins is built field by field otherwise, a dict per row)."""
    names: tuple[str, ...] = getattr(row_type, "_names")  # noqa: B009  # set by ``direct``
    return _builder(cls, {name: i for i, name in enumerate(names)}, "")


def _builder(cls: type[T], index: Mapping[str, int], prefix: str) -> Callable[[Any], T]:
    shape = _fields(cast(type, cls))
    plain = [(k, index[prefix + k]) for k in shape.names if prefix + k in index]
    enums = [(k, index[prefix + k], kind) for k, kind in shape.enums if prefix + k in index]
    nested: list[tuple[str, Callable[[Any], Any]]] = [
        (k, _builder(sub, index, f"{prefix}{k}_")) for k, sub in shape.nested
    ]

    fields = dataclasses.fields(cast(Any, cls))
    order = [f.name for f in fields]
    columns = dict(plain)
    positional = all(f.init and not f.kw_only for f in fields)
    if positional and not nested and set(order) == set(columns):
        # Every field a column: the row's values in field order, positionally (no dict).
        take = operator.itemgetter(*(columns[k] for k in order))
        at = {k: n for n, k in enumerate(order)}
        converted = [(at[k], kind) for k, _i, kind in enums]
        if len(order) == 1:  # itemgetter of one index gives the value, not a tuple
            return lambda row: cls(*[row[columns[order[0]]]])

        def build_in_order(row: Any) -> T:
            args = take(row)
            if converted:
                args = list(args)
                for n, kind in converted:
                    if args[n] is not None:
                        args[n] = kind(args[n])
            return cls(*args)

        return build_in_order

    def build(row: Any) -> T:
        values = {k: row[i] for k, i in plain}
        for k, i, kind in enums:
            if row[i] is not None:
                values[k] = kind(row[i])
        for k, make in nested:
            values[k] = make(row)
        return cls(**values)

    return build


def _build(cls: type[T], mapping: Mapping[Any, Any], prefix: str = "") -> T:
    shape = _fields(cast(type, cls))  # a class is hashable; typeshed's cache says Hashable
    values = {k: mapping[prefix + k] for k in shape.names if prefix + k in mapping}
    for name, kind in shape.enums:
        value = values.get(name)
        if value is not None:
            values[name] = kind(value)
    for name, nested in shape.nested:
        values[name] = _build(nested, mapping, f"{prefix}{name}_")
    return cls(**values)


def to_entity(cls: type[T], row: sa.Row[Any] | None) -> T | None:
    """``from_row``, or None for no row."""
    return None if row is None else from_row(cls, row)


@dataclasses.dataclass(frozen=True)
class _Shape:
    names: frozenset[str]
    enums: tuple[tuple[str, type[enum.Enum]], ...]  # fields typed ``E`` or ``E | None``
    nested: tuple[tuple[str, type], ...]  # fields typed as a dataclass


@functools.cache
def _fields(cls: type) -> _Shape:
    """How a dataclass maps to columns: worked out once per class."""
    hints = typing.get_type_hints(cls)
    enums, nested = [], []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            nested.append((f.name, hint))
        elif (kind := _enum_of(hint)) is not None:
            enums.append((f.name, kind))
    plain = frozenset(f.name for f in dataclasses.fields(cls)) - {n for n, _ in nested}
    return _Shape(plain, tuple(enums), tuple(nested))


def _enum_of(hint: Any) -> type[enum.Enum] | None:
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(members) == 1:
            return _enum_of(members[0])
    return None


def to_row(entity: Any, table: sa.Table) -> dict[str, Any]:
    """The dataclass's fields that are columns of ``table``; a dataclass-typed field spreads
    over the columns named ``<field>_<its field>`` (as ``from_row`` reads them back)."""
    values = shallow_dict(entity)  # not ``asdict``: it deep-copies every value, on the hot path
    for name, _nested in _fields(cast(type, type(entity))).nested:
        for field_name, value in shallow_dict(values.pop(name)).items():
            values[f"{name}_{field_name}"] = value
    return {k: v for k, v in values.items() if k in table.c}


def shallow_dict(entity: Any) -> dict[str, Any]:
    """A dataclass's fields by name, the values as they are (``asdict`` copies them deeply)."""
    return {f.name: getattr(entity, f.name) for f in dataclasses.fields(entity)}

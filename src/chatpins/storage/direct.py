"""The hot statements run straight on the sqlite3 cursor, compiled once.

SQLAlchemy's execution layer (execution context, compiled-cache lookup, parameter processing,
result metadata, events) costs ~0.1 ms per statement on this machine, where sqlite3 itself
answers a primary-key read in ~0.01 ms, and a pin runs a dozen statements. A statement marked
with ``built_once`` (built at import, its values all named parameters) is compiled for SQLite
the first time it runs; from then on its SQL text, parameter order and the type conversions
SQLAlchemy would apply (booleans, JSON) go to the driver directly, and its rows come back as
light tuples that read like SQLAlchemy's (``row[0]``, ``row.name``, ``row._mapping``).

Everything else, and any marked statement that needs more than that (Python-side column
defaults, expanding ``IN`` lists, values rendered at execution), runs through SQLAlchemy as
before. A unit test runs every marked statement both ways and compares.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

S = TypeVar("S", bound=sa.Executable)

OPTION = "chatpins_built_once"

_NO_VALUE = object()


def built_once(statement: S) -> S:
    """Mark a statement built once (at import, or once per shape) for the direct path."""
    return statement.execution_options(**{OPTION: True})  # type: ignore[return-value]


class Rows:
    """What repositories read from a result, over rows already fetched."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def all(self) -> list[Any]:
        return list(self._rows)

    fetchall = all

    def one(self) -> Any:
        if len(self._rows) != 1:
            raise sa.exc.NoResultFound if not self._rows else sa.exc.MultipleResultsFound
        return self._rows[0]

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one_or_none(self) -> Any:
        if len(self._rows) > 1:
            raise sa.exc.MultipleResultsFound
        return self._rows[0][0] if self._rows else None

    def scalars(self) -> Rows:
        return Rows([row[0] for row in self._rows], self.rowcount)


class Plan:
    """One statement compiled for the driver: its SQL, its parameters in order with their
    conversions, and how to read its rows."""

    def __init__(self, compiled: Any, dialect: Dialect) -> None:
        self.sql = compiled.string
        binds = compiled.binds
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        self.fixed = {
            name: binds[name].effective_value
            for name in self.names
            if not binds[name].required or binds[name].value is not None
        }
        self.converts: tuple[Callable[[Any], Any] | None, ...] = tuple(
            binds[name].type._cached_bind_processor(dialect) for name in self.names
        )
        columns = compiled._result_columns
        self.readers: tuple[Callable[[Any], Any] | None, ...] = tuple(
            c[3]._cached_result_processor(dialect, None) for c in columns
        )
        self.row = _row_type(tuple(c[0] for c in columns)) if columns else None
        self.converted = [(i, read) for i, read in enumerate(self.readers) if read is not None]

    def values(self, parameters: Mapping[str, Any]) -> list[Any] | None:
        """The driver's positional values, or None when a parameter is missing (SQLAlchemy
        then runs the statement, and says what is wrong)."""
        out = []
        for name, convert in zip(self.names, self.converts, strict=True):
            value = parameters.get(name, _NO_VALUE)
            if value is _NO_VALUE:
                value = self.fixed.get(name, _NO_VALUE)
                if value is _NO_VALUE:
                    return None
            out.append(value if convert is None or value is None else convert(value))
        return out

    def run(self, connection: Any, values: Sequence[Any]) -> Rows:
        """Run on ``connection``, the sqlite3 connection under the unit of work's."""
        try:
            cursor = connection.execute(self.sql, values)
            fetched = cursor.fetchall() if self.row is not None else []
        except sqlite3.Error as error:
            raise sa.exc.DBAPIError.instance(
                self.sql, values, error, sqlite3.Error, dialect=None
            ) from error
        if self.row is None:
            return Rows([], cursor.rowcount)
        make, converted = self.row._make, self.converted
        if not converted:
            return Rows([make(raw) for raw in fetched], cursor.rowcount)
        rows = []
        for raw in fetched:
            row = list(raw)
            for i, read in converted:  # only the columns that need it (a pin: its two flags)
                if row[i] is not None:
                    row[i] = read(row[i])
            rows.append(make(row))
        return Rows(rows, cursor.rowcount)


def plan_for(
    statement: Any, parameters: Any, dialect: Dialect, cache: dict[Any, Any]
) -> Plan | None:
    """The statement's plan when it can run directly, else None. ``cache`` holds one entry per
    marked statement and parameter names (a marked statement is built once, so it stays
    bounded)."""
    if not isinstance(parameters, Mapping) or not isinstance(statement, sa.Executable):
        return None
    if not statement.get_execution_options().get(OPTION):
        return None
    cache_key = (id(statement), tuple(parameters))
    entry = cache.get(cache_key)
    if entry is None:
        entry = (statement, _compile(statement, list(parameters), dialect))
        cache[cache_key] = entry  # the statement is kept, so its id is never reused
    return entry[1]


def _compile(statement: Any, keys: list[str], dialect: Dialect) -> Plan | None:
    compiled = statement.compile(dialect=dialect, column_keys=keys)
    if (
        "POSTCOMPILE" in compiled.string
        or compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.positiontup is None
        or any(b.expanding for b in compiled.binds.values())
        or not _plain_columns(compiled)
    ):
        return None  # needs SQLAlchemy's execution-time work, or its rows' keys
    return Plan(compiled, dialect)


def _plain_columns(compiled: Any) -> bool:
    """Rows are read by position: every result column must have a distinct name."""
    names = [c[0] for c in compiled._result_columns]
    return len(names) == len(set(names))


def _row_type(names: tuple[str, ...]) -> Any:
    base = namedtuple("Row", names, rename=True)  # type: ignore[misc]  # noqa: PYI024

    class Row(base):  # type: ignore[misc, valid-type]
        __slots__ = ()
        _names = names  # the columns' own names (``_fields`` may be renamed)

        @property
        def _mapping(self) -> dict[str, Any]:
            return dict(zip(names, self, strict=True))

    return Row

"""Rows read by name: a query selects exactly the columns its row type declares.

``SELECT *`` with ``Row(**dict(record))`` breaks the moment a migration adds a column,
and the documented rolling upgrade runs the migration while the previous version still
serves. A :class:`RowReader` derives its column list from the row dataclass once, at
import, and builds rows from those columns only, so a new column is simply not read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from typing import Any, Generic, TypeVar

import asyncpg

RowT = TypeVar("RowT")
InT = TypeVar("InT")


class RowReader(Generic[RowT]):
    """The columns of ``row_type`` for a SELECT list, and rows built from a record.

    ``alias`` qualifies each column (``s.display_name``); ``sources`` reads a field from a
    differently named column (``{"spans": "weekly_hours"}`` selects ``weekly_hours AS
    spans``); ``convert`` turns a column's value into the field's (e.g. ranges to tuples);
    ``computed`` names fields that are no column (given to the call by keyword instead).
    Fields the constructor does not take (a GraphQL type's resolved fields) are no column.
    """

    def __init__(
        self,
        row_type: Callable[..., RowT],
        *,
        alias: str | None = None,
        sources: Mapping[str, str] | None = None,
        convert: Mapping[str, Callable[[Any], Any]] | None = None,
        computed: Collection[str] = (),
    ) -> None:
        sources = sources or {}
        convert = convert or {}
        self.row_type = row_type
        fields = dataclasses.fields(row_type)  # type: ignore[arg-type]
        self.names = tuple(
            field.name for field in fields if field.init and field.name not in computed
        )
        unknown = (set(sources) | set(convert) | set(computed)) - {f.name for f in fields}
        if unknown:
            raise ValueError(f"{sorted(unknown)} are not fields of {row_type}")
        prefix = f"{alias}." if alias else ""
        self.columns = ", ".join(
            f"{prefix}{sources[name]} AS {name}" if name in sources else f"{prefix}{name}"
            for name in self.names
        )
        self._convert = tuple((name, convert.get(name)) for name in self.names)

    def __call__(self, record: asyncpg.Record, **computed: Any) -> RowT:
        # by keyword: a row type may extend an input type whose optional fields have defaults,
        # and a GraphQL type built on the row takes keyword arguments only
        return self.row_type(
            **{
                name: record[name] if change is None else change(record[name])
                for name, change in self._convert
            },
            **computed,
        )


class RowWriter(Generic[InT]):
    """The columns an input dataclass writes, and its values in the same order.

    An INSERT or UPDATE built from it writes every field the type declares, so a field added
    to the type is written without touching the SQL. ``sources`` and ``convert`` are as for
    :class:`RowReader`, the other way round (``{"spans": "weekly_hours"}`` writes the field
    ``spans`` into the column ``weekly_hours``).
    """

    def __init__(
        self,
        input_type: Callable[..., InT],
        *,
        sources: Mapping[str, str] | None = None,
        convert: Mapping[str, Callable[[Any], Any]] | None = None,
    ) -> None:
        sources = sources or {}
        convert = convert or {}
        names = tuple(field.name for field in dataclasses.fields(input_type))  # type: ignore[arg-type]
        unknown = (set(sources) | set(convert)) - set(names)
        if unknown:
            raise ValueError(f"{sorted(unknown)} are not fields of {input_type}")
        self.column_names = tuple(sources.get(name, name) for name in names)
        self._convert = tuple((name, convert.get(name)) for name in names)

    def insert(self, first: int) -> tuple[str, str]:
        """``"a, b, c"`` and ``"$first, $first+1, ..."`` for ``INSERT (...) VALUES (...)``."""
        numbers = range(first, first + len(self.column_names))
        return ", ".join(self.column_names), ", ".join(f"${number}" for number in numbers)

    def assignments(self, first: int) -> str:
        """``"a = $first, b = $first+1, ..."`` for an UPDATE's SET."""
        return ", ".join(
            f"{column} = ${first + index}" for index, column in enumerate(self.column_names)
        )

    def values(self, item: InT) -> list[Any]:
        return [
            getattr(item, name) if change is None else change(getattr(item, name))
            for name, change in self._convert
        ]

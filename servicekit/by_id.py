"""A change to one row named by the id a client sent: the changed row, or the field error
every service answers an unknown id with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

from servicekit.graphql import FieldError, no_such, parse_id

RowT = TypeVar("RowT")


async def change_by_id(
    value: str | None,
    change: Callable[[UUID], Awaitable[RowT | None]],
    *,
    thing: str,
    field: str = "id",
) -> tuple[RowT | None, list[FieldError]]:
    """Apply ``change`` to the row ``value`` names (``change`` answers None when there is no
    such row): the changed row and no errors, or no row and "There is no ``thing`` with this
    id." for ``field`` when ``value`` is not an id or names nothing."""
    row_id = parse_id(value)
    row = await change(row_id) if row_id is not None else None
    if row is None:
        return None, [FieldError(field=field, message=no_such(thing))]
    return row, []

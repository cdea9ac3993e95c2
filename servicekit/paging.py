"""Opaque cursors for keyset paging, and the shared ``PageInfo`` type."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import strawberry

from servicekit.graphql import PublicError

MAX_PAGE_SIZE = 100

RowT = TypeVar("RowT")


class BadCursor(PublicError):
    code = "BAD_USER_INPUT"


@strawberry.federation.type(
    shareable=True, description="Where a page ends and whether more follow."
)
class PageInfo:
    end_cursor: str | None
    has_next_page: bool


def encode_cursor(*values: Any) -> str:
    """An opaque cursor for the last row of a page (its sort key)."""
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode()


def decode_cursor(cursor: str | None, *types: Callable[[Any], Any]) -> tuple[Any, ...] | None:
    """The sort key inside a cursor made by :func:`encode_cursor`, each value converted by
    the matching callable (e.g. ``str, UUID``); None without a cursor."""
    if cursor is None:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError
        return tuple(convert(value) for convert, value in zip(types, values, strict=True))
    except (ValueError, TypeError, UnicodeError):
        raise BadCursor("The `after` cursor is not one this service issued.") from None


def page_size(first: int) -> int:
    """``first`` checked against the allowed range."""
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise BadCursor(f"`first` must be between 1 and {MAX_PAGE_SIZE}.")
    return first


def page_of(
    rows: Sequence[RowT], limit: int, sort_key: Callable[[RowT], tuple[Any, ...]]
) -> tuple[Sequence[RowT], PageInfo]:
    """The first ``limit`` of ``rows`` (fetched with ``limit + 1``, so one more tells that
    more follow) and their ``PageInfo``, whose cursor holds the last row's ``sort_key``."""
    page = rows[:limit]
    end = encode_cursor(*sort_key(page[-1])) if page else None
    return page, PageInfo(end_cursor=end, has_next_page=len(rows) > limit)

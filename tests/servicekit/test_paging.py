"""Keyset paging: cursors round-trip their sort key, and a forged cursor is a client error."""

from __future__ import annotations

import base64
import datetime as dt
import json
from uuid import UUID, uuid4

import pytest

from servicekit.paging import BadCursor, decode_cursor, encode_cursor, page_of, page_size


def test_a_cursor_gives_back_its_sort_key_converted() -> None:
    row_id = uuid4()
    at = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    cursor = encode_cursor("IL", "Cook", at, row_id)
    assert decode_cursor(cursor, str, str, dt.datetime.fromisoformat, UUID) == (
        "IL",
        "Cook",
        at,
        row_id,
    )
    assert decode_cursor(None, str) is None


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        base64.urlsafe_b64encode(b"{}").decode(),  # not a list
        base64.urlsafe_b64encode(json.dumps(["IL"]).encode()).decode(),  # too short
        encode_cursor("IL", "not-a-uuid"),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_cursor_this_service_did_not_issue_is_refused(cursor: str) -> None:
    with pytest.raises(BadCursor) as refused:
        decode_cursor(cursor, str, UUID)
    assert refused.value.code == "BAD_USER_INPUT"


def test_first_is_between_1_and_100() -> None:
    assert page_size(1) == 1
    assert page_size(100) == 100
    for wrong in (0, -1, 101):
        with pytest.raises(BadCursor, match="between 1 and 100"):
            page_size(wrong)


def test_one_row_more_than_asked_tells_that_more_follow() -> None:
    rows = [("a", 1), ("b", 2), ("c", 3)]
    page, info = page_of(rows, 2, lambda row: row)
    assert list(page) == [("a", 1), ("b", 2)]
    assert info.has_next_page
    assert decode_cursor(info.end_cursor, str, int) == ("b", 2)

    page, info = page_of(rows, 3, lambda row: row)
    assert len(page) == 3
    assert not info.has_next_page

    page, info = page_of([], 3, lambda row: row)
    assert list(page) == []
    assert info.end_cursor is None
    assert not info.has_next_page

"""Keyed digests over several fields: the split between fields is part of what is digested."""

from __future__ import annotations

from servicekit.digests import keyed_digest, length_prefixed

KEY = b"k" * 32


def test_moving_a_character_between_fields_changes_the_digest() -> None:
    assert length_prefixed(b"ab", b"c") == b"\x00\x00\x00\x02ab\x00\x00\x00\x01c"
    assert keyed_digest(KEY, b"ab", b"c") != keyed_digest(KEY, b"a", b"bc")
    assert keyed_digest(KEY, b"ab", b"c") != keyed_digest(b"K" * 32, b"ab", b"c")

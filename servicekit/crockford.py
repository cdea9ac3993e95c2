"""Codes people read off paper and type: Crockford's base32 without I, L, O, U, in groups of
four, any case, spaces and dashes ignored, and I, L, O read as 1, 1, 0."""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # 32 characters: 5 bits each
_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_code(groups: int) -> str:
    """A random code of ``groups`` groups of four characters (20 bits a group)."""
    characters = "".join(secrets.choice(ALPHABET) for _ in range(4 * groups))
    return "-".join(characters[i : i + 4] for i in range(0, len(characters), 4))


def normalise(typed: str, groups: int) -> str | None:
    """The code as typed, in its one written form (upper case, no separators); None when it
    cannot be a code of ``groups`` groups."""
    cleaned = "".join(typed.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if len(cleaned) != 4 * groups or any(c not in ALPHABET for c in cleaned):
        return None
    return cleaned

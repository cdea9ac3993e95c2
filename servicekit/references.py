"""References people quote back to the network (an application, a joining inquiry): short,
random, and easy to read out over the phone."""

from __future__ import annotations

import secrets

# no 0/O, 1/I/L or U: nothing that reads as something else
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"


def new_reference(prefix: str) -> str:
    """``PREFIX-XXXX-XXXX``: 8 characters of a 30-letter alphabet (about 39 bits)."""
    letters = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{prefix}-{letters[:4]}-{letters[4:]}"

"""Keyed digests over several fields, each field length-prefixed so no two splits collide."""

from __future__ import annotations

import hashlib
import hmac


def length_prefixed(*parts: bytes) -> bytes:
    """Each part after its length (4 bytes, big-endian): ``("ab", "c")`` and ``("a", "bc")``
    give different bytes."""
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


def keyed_digest(key: bytes, *parts: bytes) -> bytes:
    """HMAC-SHA256 under ``key`` of the length-prefixed ``parts`` (32 bytes)."""
    return hmac.new(key, length_prefixed(*parts), hashlib.sha256).digest()

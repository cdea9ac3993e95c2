"""The report key: what keeps the directory's own database from reading the reports.

Whoever holds the directory's database role knows every supporter's pseudonym (their
profiles), sees the server's advisory locks (``pg_locks`` is readable by every role) and owns
every table. So nothing about a report reaches the database in a form it could read or make:

- the mark that refuses a second report (or survey answer) is an HMAC of the period and the
  pseudonym under a key derived from this one, so the role cannot compute the lock of a
  supporter it knows (to see whether they reported, or to take it first and refuse them);
- each noisy pair or count a process writes at a close is sealed (AES-256-GCM) under another
  key derived from it, bound to its table, period, part and department or answer: the role
  reads bytes it cannot open, and cannot forge, move or replay a value to lift a figure the
  service hides.

The key comes from the configuration (``WNWA_DIRECTORY_REPORT_KEY``), never from the
database. Keys retired by a rotation still open what they sealed (``retired``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from servicekit.digests import keyed_digest, length_prefixed
from servicekit.settings import Secret

NONCE_BYTES = 12
TAG_BYTES = 16
_MARKS = b"wnwa directory report marks"
_PARTS = b"wnwa directory sealed parts"


def sealed_length(values: int) -> int:
    """The length of ``values`` 4-byte integers once sealed (nonce and tag included)."""
    return NONCE_BYTES + 4 * values + TAG_BYTES


def _derived(key: Secret, purpose: bytes) -> bytes:
    return hmac.new(key.value.encode(), purpose, hashlib.sha256).digest()


class ReportKey:
    """Marks and seals under the configured report key; opens under it or a retired one."""

    def __init__(self, key: Secret, retired: Sequence[Secret] = ()) -> None:
        self._marks = _derived(key, _MARKS)
        self._sealing = AESGCM(_derived(key, _PARTS))
        self._opening = [self._sealing, *(AESGCM(_derived(old, _PARTS)) for old in retired)]

    def mark(self, period: dt.date, subject: str) -> bytes:
        """The mark of ``subject``'s report or answer of ``period``: nobody without the key
        can compute it from the pseudonym."""
        return keyed_digest(self._marks, period.isoformat().encode(), subject.encode())

    def seal(self, values: Sequence[int], *where: bytes) -> bytes:
        """``values`` (4-byte signed integers) sealed for ``where`` only."""
        nonce = os.urandom(NONCE_BYTES)
        plain = b"".join(value.to_bytes(4, "big", signed=True) for value in values)
        return nonce + self._sealing.encrypt(nonce, plain, length_prefixed(*where))

    def open(self, sealed: bytes, values: int, *where: bytes) -> tuple[int, ...] | None:
        """The ``values`` integers sealed for ``where``; None when ``sealed`` was not made by
        this key or a retired one for exactly that place (forged, moved or damaged)."""
        if len(sealed) != sealed_length(values):
            return None
        nonce, body, context = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], length_prefixed(*where)
        for key in self._opening:
            try:
                plain = key.decrypt(nonce, body, context)
            except InvalidTag:
                continue
            ints = range(0, len(plain), 4)
            return tuple(int.from_bytes(plain[i : i + 4], "big", signed=True) for i in ints)
        return None

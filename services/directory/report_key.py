"""The report key: what keeps the directory's own database from reading the reports.

Whoever holds the directory's database role knows every supporter's pseudonym (their
profiles), sees the server's advisory locks (``pg_locks`` is readable by every role) and owns
every table. So nothing about a report reaches the database in a form it could read or make:

- the mark that refuses a second report (or survey answer) is an HMAC of the period and the
  pseudonym under a key derived from this one, so the role cannot compute the lock of a
  supporter it knows (to see whether they reported, or to take it first and refuse them);
- each noisy part a process writes at a close is sealed whole (AES-256-GCM) under another
  key derived from it, bound to its table, period and part: the role reads bytes it cannot
  open (not even which departments they name), and cannot forge, move or replay one to lift
  a figure the service hides.

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
SEALING_BYTES = NONCE_BYTES + TAG_BYTES  # what sealing adds to a value
_MARKS = b"wnwa directory report marks"
_PARTS = b"wnwa directory sealed parts"


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

    def seal(self, plain: bytes, *where: bytes) -> bytes:
        """``plain`` sealed for ``where`` only: nonce, ciphertext and tag."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._sealing.encrypt(nonce, plain, length_prefixed(*where))

    def open(self, sealed: bytes, *where: bytes) -> bytes | None:
        """What was sealed for ``where``; None when ``sealed`` was not made by this key or a
        retired one for exactly that place (forged, moved or damaged)."""
        if len(sealed) < SEALING_BYTES:
            return None
        nonce, body, context = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], length_prefixed(*where)
        for key in self._opening:
            try:
                return key.decrypt(nonce, body, context)
            except InvalidTag:
                continue
        return None

"""Month keys that exist only in the memory of running directory processes.

Each month that takes reports has a random 256-bit key. It makes the receipts that refuse a
second report (an HMAC of the month and the supporter's pseudonym) and seals each report
(AES-GCM of department and figure) until the month closes. It is never written anywhere in
the clear: the database only holds copies *wrapped* for each running process, under an
X25519 key pair that process made at start and keeps in memory (the private half never
leaves it). When the month closes, the process that closes it opens the sealed reports,
writes noisy figures (``report_figures``) and deletes the sealed reports, the receipts and
every wrapped copy; then it forgets the key. From then on no backup, WAL segment or heap
page holds anything that can be opened: the key to open it no longer exists.

A process that starts while others run receives every open month's key from them within a
few seconds (each one wraps what it holds for newcomers). A key is lost when every process
that held it stopped at once; docs/directory.md says what that costs.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from servicekit.digests import keyed_digest, length_prefixed

_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw
_NONCE = 12


@dataclass(frozen=True, slots=True)
class MonthKey:
    month: dt.date
    key_id: uuid.UUID
    secret: bytes = field(repr=False)

    @classmethod
    def new(cls, month: dt.date) -> MonthKey:
        return cls(month, uuid.uuid4(), os.urandom(32))

    def receipt(self, subject: str) -> bytes:
        """What marks ``subject`` as having reported this month (HMAC-SHA256)."""
        return keyed_digest(self.secret, self.month.isoformat().encode(), subject.encode())

    def seal(self, department_id: uuid.UUID, officers_supported: int) -> bytes:
        """One report, sealed: always 12 + 18 + 16 bytes, whatever it says."""
        nonce = os.urandom(_NONCE)
        plain = department_id.bytes + officers_supported.to_bytes(2, "big")
        return nonce + AESGCM(self.secret).encrypt(nonce, plain, self._aad)

    def open(self, sealed: bytes) -> tuple[uuid.UUID, int] | None:
        """The department and figure of a sealed report; None when it is not this key's."""
        try:
            plain = AESGCM(self.secret).decrypt(sealed[:_NONCE], sealed[_NONCE:], self._aad)
        except InvalidTag:
            return None
        return uuid.UUID(bytes=plain[:16]), int.from_bytes(plain[16:], "big")

    @property
    def _aad(self) -> bytes:
        return length_prefixed(self.month.isoformat().encode(), self.key_id.bytes)


class KeyHolder:
    """This process: its X25519 key pair and the month keys it holds, in memory only."""

    def __init__(self) -> None:
        self._private = X25519PrivateKey.generate()
        self.public = self._private.public_key().public_bytes(*_RAW)
        self.keys: dict[dt.date, MonthKey] = {}

    def key_for(self, month: dt.date) -> MonthKey | None:
        return self.keys.get(month)

    def wrap(self, key: MonthKey, holder: bytes) -> bytes:
        """``key`` sealed for the process whose public key is ``holder`` (ECIES-style)."""
        ephemeral = X25519PrivateKey.generate()
        ephemeral_public = ephemeral.public_key().public_bytes(*_RAW)
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(holder))
        wrapping = _wrapping_key(shared, ephemeral_public, holder)
        nonce = os.urandom(_NONCE)
        aad = length_prefixed(key.month.isoformat().encode(), key.key_id.bytes)
        return ephemeral_public + nonce + AESGCM(wrapping).encrypt(nonce, key.secret, aad)

    def unwrap(self, month: dt.date, key_id: uuid.UUID, wrapped: bytes) -> MonthKey | None:
        """A key wrapped for this process; None when it was not (or was tampered with)."""
        ephemeral_public, nonce, sealed = wrapped[:32], wrapped[32:44], wrapped[44:]
        try:
            shared = self._private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
            wrapping = _wrapping_key(shared, ephemeral_public, self.public)
            aad = length_prefixed(month.isoformat().encode(), key_id.bytes)
            secret = AESGCM(wrapping).decrypt(nonce, sealed, aad)
        except (InvalidTag, ValueError):
            return None
        return MonthKey(month, key_id, secret)

    def forget(self, month: dt.date) -> None:
        self.keys.pop(month, None)


def _wrapping_key(shared: bytes, ephemeral_public: bytes, holder: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"wnwa report month key" + ephemeral_public + holder,
    ).derive(shared)

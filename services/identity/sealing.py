"""Secrets at rest and in cookies: AES-256-GCM with keys derived from configured secrets.

Each sealed value is bound to what it belongs to (associated data), so a sealed client
secret cannot be moved to another organisation nor a cookie reused for another purpose.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"


class Unsealable(Exception):
    """The sealed value was tampered with, is for something else, or the key changed."""


class SecretBox:
    """Seals and opens small values with one AES-256-GCM key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, *, bound_to: str) -> bytes:
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, bound_to.encode())

    def open(self, sealed: bytes, *, bound_to: str) -> bytes:
        if len(sealed) < 29 or sealed[:1] != _VERSION:
            raise Unsealable("not a sealed value")
        try:
            return self._aead.decrypt(sealed[1:13], sealed[13:], bound_to.encode())
        except InvalidTag:
            raise Unsealable("the sealed value cannot be opened") from None

    def seal_text(self, plaintext: str, *, bound_to: str) -> str:
        """URL-safe text, for cookies."""
        sealed = self.seal(plaintext.encode(), bound_to=bound_to)
        return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()

    def open_text(self, sealed: str, *, bound_to: str) -> str:
        try:
            raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
            return self.open(raw, bound_to=bound_to).decode()
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise Unsealable("not a sealed value") from None

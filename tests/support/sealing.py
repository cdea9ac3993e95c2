"""The conversations' end-to-end protocol in Python, as portal/static/conversations-crypto.js
does it in the browser (docs/conversations.md): tests and the bench write real ciphertext.

ECDH P-256 between the officer's key for the conversation and the supporter's device key;
HKDF-SHA256 (salt: both public keys, officer's first; info ``wnwa conversation v1``) to one
AES-256-GCM key; each message a fresh 12-byte IV, ``wnwa/v1|{from}|{seq}`` as associated
data.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class KeyPair:
    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.public_raw = self.private.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )

    @property
    def public(self) -> str:
        return b64url(self.public_raw)


class Channel:
    """One side's view of a conversation: seals what it sends, opens what it reads."""

    def __init__(self, mine: KeyPair, theirs: str, side: str, officer_key: str) -> None:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(theirs))
        shared = mine.private.exchange(ec.ECDH(), peer)
        officer_raw = unb64url(officer_key)
        supporter_raw = unb64url(theirs) if side == "officer" else mine.public_raw
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=officer_raw + supporter_raw,
            info=b"wnwa conversation v1",
        ).derive(shared)
        self.aead = AESGCM(key)
        self.side = side
        self.sent = 0
        self.read = 0

    def seal(self, text: str) -> dict[str, object]:
        iv = os.urandom(12)
        aad = f"wnwa/v1|{self.side}|{self.sent}".encode()
        sealed = {
            "seq": self.sent,
            "iv": b64url(iv),
            "ciphertext": b64url(self.aead.encrypt(iv, text.encode(), aad)),
        }
        self.sent += 1
        return sealed

    def open(self, event: dict[str, object]) -> str:
        """The text of the other side's next message; raises on anything else."""
        other = "supporter" if self.side == "officer" else "officer"
        if event["from"] != other or event["seq"] != self.read:
            raise ValueError("out of order, replayed or reflected")
        aad = f"wnwa/v1|{other}|{self.read}".encode()
        text = self.aead.decrypt(
            unb64url(str(event["iv"])), unb64url(str(event["ciphertext"])), aad
        ).decode()
        self.read += 1
        return text

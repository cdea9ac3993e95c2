"""A software WebAuthn authenticator for tests: makes passkeys and signs assertions.

It answers the JSON options identity sends the way a browser's `navigator.credentials`
would hand them to the page (base64url fields), with ES256 keys, "none" attestation and a
signature counter that stays 0, as synced passkeys do.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def unb64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def es256_cose(key: ec.EllipticCurvePublicKey, replaced: dict[int, Any] | None = None) -> bytes:
    """The COSE_Key of an ES256 public key; ``replaced`` overrides its parameters by label."""
    numbers = key.public_numbers()
    parameters: dict[int, Any] = {
        1: 2,  # kty: EC2
        3: -7,  # alg: ES256
        -1: 1,  # crv: P-256
        -2: numbers.x.to_bytes(32, "big"),
        -3: numbers.y.to_bytes(32, "big"),
    }
    parameters.update(replaced or {})
    return cbor2.dumps(parameters)


@dataclass
class StoredCredential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes


@dataclass
class SoftAuthenticator:
    """Holds its passkeys; ``user_verified=False`` plays a device without a screen lock."""

    origin: str
    user_verified: bool = True
    credentials: list[StoredCredential] = field(default_factory=list)
    extra_flags: int = 0  # e.g. BS without BE, which no honest authenticator sets

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin}
        return json.dumps(data, separators=(",", ":")).encode()

    def _flags(self) -> int:
        return UP | (UV if self.user_verified else 0) | self.extra_flags

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        credential_id: bytes | None = None,
        public_key_cose: bytes | None = None,
    ) -> dict[str, Any]:
        """A registration response for ``options["publicKey"]``; remembers the passkey.

        ``credential_id`` and ``public_key_cose`` replace what an honest authenticator makes
        (a random 32-byte id, its ES256 key), for tests of what a forged answer could hold.
        """
        public_key = options["publicKey"]
        rp = rp_id or public_key["rp"]["id"]
        key = ec.generate_private_key(ec.SECP256R1())
        cose = public_key_cose or es256_cose(key.public_key())
        credential_id = os.urandom(32) if credential_id is None else credential_id
        auth_data = (
            hashlib.sha256(rp.encode()).digest()
            + bytes([self._flags() | AT])
            + (0).to_bytes(4, "big")
            + bytes(16)  # AAGUID: none
            + len(credential_id).to_bytes(2, "big")
            + credential_id
            + cose
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", public_key["challenge"], origin)
        self.credentials.append(
            StoredCredential(credential_id, key, rp, unb64url(public_key["user"]["id"]))
        )
        return {
            "id": b64url(credential_id),
            "rawId": b64url(credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
            },
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        credential: StoredCredential | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        user_handle: bytes | None = None,
    ) -> dict[str, Any]:
        """An assertion with the newest passkey (or ``credential``) for the challenge."""
        public_key = options["publicKey"]
        chosen = credential or self.credentials[-1]
        rp = rp_id or public_key.get("rpId") or chosen.rp_id
        auth_data = (
            hashlib.sha256(rp.encode()).digest() + bytes([self._flags()]) + (0).to_bytes(4, "big")
        )
        client_data = self._client_data("webauthn.get", public_key["challenge"], origin)
        signature = chosen.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(chosen.credential_id),
            "rawId": b64url(chosen.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(
                    user_handle if user_handle is not None else chosen.user_handle
                ),
            },
        }

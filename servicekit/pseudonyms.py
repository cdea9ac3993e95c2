"""Pairwise pseudonyms: how a person signed in through a department's IdP is named.

Identity names everyone this way at sign-in; the development stack's demo seed names its
own accounts the same way, so the demo's supporters find their profiles made. Both read
it here, so neither service imports the other.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .digests import keyed_digest

PAIRWISE_PURPOSE = "wnwa pairwise subject"
# identity's pseudonym key on a development machine (production refuses it: identity settings)
DEVELOPMENT_PSEUDONYM_KEY = "dev-identity-pseudonym-key-not-for-production"


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` from a configured secret (HKDF-SHA256)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
    return hkdf.derive(secret.encode())


def pairwise_subject(key: bytes, *, department_id: str, issuer: str, subject: str) -> str:
    """HMAC-SHA256 over length-prefixed department id, upstream issuer and subject.

    Length prefixes keep ``("ab", "c")`` and ``("a", "bc")`` apart. The result (43
    base64url characters) names the person within the platform and nowhere else.
    """
    digest = keyed_digest(key, department_id.encode(), issuer.encode(), subject.encode())
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

"""Verification of the platform's access tokens and the principal they describe.

identity signs short-lived JWTs (ES256, ``kid`` in the header) and publishes its public
keys as a JWKS. Every service verifies each token itself: signature against the cached JWKS
(refetched once, rate-limited, when a ``kid`` is unknown), algorithm allowlist, exact
issuer, audience, expiry and the claims a principal needs.

A token is read here rather than by a general JOSE library: only the one form identity
issues is accepted (compact JWS, ES256 over P-256, no ``crit``, strict base64url), which
leaves nothing for a library's options to get wrong, and costs a third less per token — the
gateway verifies a new token on most requests. joserfc still reads the key set.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import math
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

import aiohttp
import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from joserfc.jwk import ECKey, KeySet

from servicekit.clock import SYSTEM_CLOCK, Clock

ALGORITHMS = ("ES256",)  # see docs/architecture.md: ES256 only
ROLES = frozenset(
    {"officer", "civilian", "peer_supporter", "coordinator", "vetter", "network_admin", "service"}
)
_PUBLIC_KEY_TYPES = frozenset({"EC", "OKP"})
# a compact JWS: three parts of base64url without padding, the last one the signature
_COMPACT = re.compile(r"([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]*)")
_ES256 = ec.ECDSA(hashes.SHA256())


class InvalidToken(Exception):
    """The token cannot be trusted; the message is safe to show (it holds no claims)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a pseudonym, their department and their roles. Nothing else, but
    whether the session was opened with a passkey that has a last day (``passkey_limited``):
    such a passkey stands in for the organisation's IdP for a time, so identity lets it
    vouch for nothing that would outlive it."""

    subject: str
    department_id: str
    roles: frozenset[str]
    passkey_limited: bool = False

    def has_role(self, *roles: str) -> bool:
        """True when the principal holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)


JwksFetcher = Callable[[], Awaitable[Mapping[str, Any]]]


class JwksCache:
    """The issuer's public keys, fetched on first use and again on an unknown ``kid``.

    A refetch happens at most once per ``min_refetch_interval`` seconds, so a flood of
    tokens with made-up key ids cannot turn into a flood of requests to identity.
    """

    def __init__(self, fetch: JwksFetcher, *, min_refetch_interval: float = 30.0) -> None:
        self._fetch = fetch
        self._min_refetch_interval = min_refetch_interval
        self._keys: KeySet | None = None
        self._es256: dict[str, ec.EllipticCurvePublicKey] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        """Fetch the keys now (at start, before the first token needs them)."""
        async with self._lock:
            self._fetched_at = time.monotonic()
            self._store(await self._fetch())

    def _store(self, document: Mapping[str, Any]) -> None:
        self._keys = _public_keys(document)
        self._es256 = {
            str(key.kid): key.public_key
            for key in self._keys.keys
            if isinstance(key, ECKey) and key.curve_name == "P-256" and key.alg in (None, "ES256")
        }

    async def es256_key(self, kid: str) -> ec.EllipticCurvePublicKey:
        """The P-256 public key named ``kid``; refetches once when it is unknown."""
        key = self._es256.get(kid)
        if key is None:
            await self.key_set(kid)
            key = self._es256.get(kid)
            if key is None:
                raise InvalidToken("the token was signed with an unknown key")
        return key

    async def key_set(self, kid: str) -> KeySet:
        """Keys that may hold ``kid``; refetches once when it is unknown."""
        if self._keys is not None and _has_kid(self._keys, kid):
            return self._keys
        async with self._lock:
            if self._keys is not None and _has_kid(self._keys, kid):
                return self._keys
            if time.monotonic() - self._fetched_at >= self._min_refetch_interval:
                self._fetched_at = time.monotonic()
                self._store(await self._fetch())
        if self._keys is None or not _has_kid(self._keys, kid):
            raise InvalidToken("the token was signed with an unknown key")
        return self._keys


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)


def _public_keys(document: Mapping[str, Any]) -> KeySet:
    keys = document.get("keys")
    if not isinstance(keys, list):
        raise InvalidToken("the issuer's key set is malformed")
    # Only asymmetric public keys: a symmetric key in the set would let anyone who read
    # the public JWKS forge tokens.
    usable = [
        {name: value for name, value in key.items() if name != "d"}
        for key in keys
        if isinstance(key, dict) and key.get("kty") in _PUBLIC_KEY_TYPES and key.get("kid")
    ]
    return KeySet.import_key_set({"keys": usable})


def http_jwks_fetcher(session: aiohttp.ClientSession, url: str) -> JwksFetcher:
    """Fetch the JWKS from ``url`` with the service's long-lived HTTP session."""

    async def fetch() -> Mapping[str, Any]:
        try:
            timeout = aiohttp.ClientTimeout(total=5)
            async with session.get(url, timeout=timeout) as response:
                response.raise_for_status()
                document: Mapping[str, Any] = await response.json(content_type=None)
                return document
        except (aiohttp.ClientError, TimeoutError, ValueError):
            raise InvalidToken("the issuer's keys could not be fetched") from None

    return fetch


class TokenVerifier:
    """Turns a bearer token into a :class:`Principal` or raises :class:`InvalidToken`."""

    def __init__(
        self,
        keys: JwksCache,
        *,
        issuer: str,
        audience: str,
        leeway_seconds: int = 30,
        max_remembered: int = 100_000,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._keys = keys
        self.load_keys = keys.load  # at start: the issuer's keys before the first token
        self._clock = clock
        self._max_remembered = max_remembered
        # tokens verified recently, until they expire: a session sends the same token for
        # minutes, and checking its signature again each time gains nothing. Keyed by the
        # token's SHA-256 (the token itself is not kept); each entry is dropped by a timer at
        # the token's expiry, so memory never holds who used the service for longer than
        # the token itself was valid. At most ``max_remembered``: beyond that, tokens are
        # checked each time rather than memory growing.
        self._recent: dict[bytes, tuple[Principal, float]] = {}
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds

    async def verify(self, token: str) -> Principal:
        """Verify signature and claims; the principal carries only sub, dept and roles."""
        digest = hashlib.sha256(token.encode()).digest()
        recent = self._recent.get(digest)
        if recent is not None and recent[1] > self._clock.timestamp():
            return recent[0]
        principal, expires = await self._verify(token)
        remaining = expires - self._clock.timestamp()
        if remaining > 0 and len(self._recent) < self._max_remembered:
            self._recent[digest] = (principal, expires)
            asyncio.get_running_loop().call_later(remaining, self._forget, digest, expires)
        return principal

    def _forget(self, digest: bytes, expires: float) -> None:
        entry = self._recent.get(digest)
        if entry is not None and entry[1] <= expires:
            del self._recent[digest]

    def cached(self) -> int:
        """How many verified tokens are remembered now (tests, diagnostics)."""
        return len(self._recent)

    async def _verify(self, token: str) -> tuple[Principal, float]:
        header, claims, signing_input, signature = _compact(token)
        kid = header.get("kid")
        if header.get("alg") not in ALGORITHMS or not isinstance(kid, str):
            raise InvalidToken("the token's algorithm or key id is not accepted")
        if "crit" in header or "b64" in header:  # no JWS extension is understood here
            raise InvalidToken("the token is not valid for this service")
        key = await self._keys.es256_key(kid)
        if len(signature) != 64:  # ES256: r and s, 32 bytes each
            raise InvalidToken("the token is not valid for this service")
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        try:
            key.verify(encode_dss_signature(r, s), signing_input, _ES256)
        except InvalidSignature:
            raise InvalidToken("the token is not valid for this service") from None
        expires = self._expiry(claims)
        return _principal(claims), expires

    def _expiry(self, claims: Mapping[str, Any]) -> float:
        """Check the registered claims (RFC 7519, as a claims registry with ``leeway``
        would); the token's expiry."""
        now = int(self._clock.timestamp())
        audience = claims.get("aud")
        if claims.get("iss") != self._issuer or not (
            audience == self._audience
            or (isinstance(audience, list) and self._audience in audience)
        ):
            raise InvalidToken("the token is not valid for this service")
        expires, issued, not_before = claims.get("exp"), claims.get("iat"), claims.get("nbf")
        if not _numeric(expires) or not _numeric(issued) or not isinstance(claims.get("sub"), str):
            raise InvalidToken("the token is not valid for this service")
        if expires <= now - self._leeway:
            raise InvalidToken("the token has expired")
        if issued > now + self._leeway or (
            not_before is not None and (not _numeric(not_before) or not_before > now + self._leeway)
        ):
            raise InvalidToken("the token is not valid for this service")
        return float(expires)


def _compact(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Header, claims, signing input and signature of a compact JWS; or InvalidToken."""
    compact = _COMPACT.fullmatch(token)
    if compact is None:
        raise InvalidToken("the token is malformed")
    try:
        header = orjson.loads(_base64url(compact[1]))
        claims = orjson.loads(_base64url(compact[2]))
        signature = _base64url(compact[3])
    except (binascii.Error, orjson.JSONDecodeError):
        raise InvalidToken("the token is malformed") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidToken("the token is malformed")
    return header, claims, token[: compact.end(2)].encode(), signature


def _base64url(part: str) -> bytes:
    if len(part) % 4 == 1:
        raise binascii.Error("impossible length")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _numeric(value: object) -> TypeGuard[int | float]:
    """A NumericDate: a number, not a boolean, finite."""
    return not isinstance(value, bool) and (
        isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    )


def _principal(claims: Mapping[str, Any]) -> Principal:
    subject, department, roles = claims.get("sub"), claims.get("dept"), claims.get("roles")
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("the token has no subject")
    if not isinstance(department, str):
        raise InvalidToken("the token has no department")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise InvalidToken("the token's roles are malformed")
    limited = claims.get("passkey_limited", False)
    if not isinstance(limited, bool):
        raise InvalidToken("the token is not valid for this service")
    return Principal(
        subject=subject,
        department_id=department,
        roles=frozenset(roles) & ROLES,
        passkey_limited=limited,
    )


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The access token in an ``Authorization: Bearer`` header, if any."""
    authorization = headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None

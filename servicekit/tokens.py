"""Verification of the platform's access tokens and the principal they describe.

identity signs short-lived JWTs (ES256 or EdDSA, ``kid`` in the header) and publishes its
public keys as a JWKS. Every service verifies each token itself: signature against the
cached JWKS (refetched once, rate-limited, when a ``kid`` is unknown), algorithm allowlist,
exact issuer, audience, expiry and the claims a principal needs.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from joserfc import errors as jose_errors
from joserfc import jws, jwt
from joserfc.jwk import KeySet

ALGORITHMS = ("ES256",)  # see docs/architecture.md: ES256 only
ROLES = frozenset(
    {"officer", "civilian", "peer_supporter", "coordinator", "vetter", "network_admin", "service"}
)
_PUBLIC_KEY_TYPES = frozenset({"EC", "OKP"})


class InvalidToken(Exception):
    """The token cannot be trusted; the message is safe to show (it holds no claims)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a pseudonym, their department and their roles. Nothing else."""

    subject: str
    department_id: str
    roles: frozenset[str]

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
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key_set(self, kid: str) -> KeySet:
        """Keys that may hold ``kid``; refetches once when it is unknown."""
        if self._keys is not None and _has_kid(self._keys, kid):
            return self._keys
        async with self._lock:
            if self._keys is not None and _has_kid(self._keys, kid):
                return self._keys
            if time.monotonic() - self._fetched_at >= self._min_refetch_interval:
                self._fetched_at = time.monotonic()
                self._keys = _public_keys(await self._fetch())
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
    ) -> None:
        self._keys = keys
        self._max_remembered = max_remembered
        # tokens verified recently, until they expire: a session sends the same token for
        # minutes, and checking its signature again each time gains nothing. Keyed by the
        # token's SHA-256 (the token itself is not kept); each entry is dropped by a timer at
        # the token's expiry, so memory never holds who used the service for longer than
        # the token itself was valid. At most ``max_remembered``: beyond that, tokens are
        # checked each time rather than memory growing.
        self._recent: dict[bytes, tuple[Principal, float]] = {}
        self._claims = jwt.JWTClaimsRegistry(
            leeway=leeway_seconds,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
        )

    async def verify(self, token: str) -> Principal:
        """Verify signature and claims; the principal carries only sub, dept and roles."""
        digest = hashlib.sha256(token.encode()).digest()
        recent = self._recent.get(digest)
        if recent is not None and recent[1] > time.time():
            return recent[0]
        principal, expires = await self._verify(token)
        remaining = expires - time.time()
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
        try:
            header = jws.extract_compact(token.encode()).protected
        except (jose_errors.JoseError, ValueError):
            raise InvalidToken("the token is malformed") from None
        kid = header.get("kid")
        if header.get("alg") not in ALGORITHMS or not isinstance(kid, str):
            raise InvalidToken("the token's algorithm or key id is not accepted")
        keys = await self._keys.key_set(kid)
        try:
            decoded = jwt.decode(token, keys, algorithms=list(ALGORITHMS))
            self._claims.validate(decoded.claims)
        except jose_errors.ExpiredTokenError:
            raise InvalidToken("the token has expired") from None
        except (jose_errors.JoseError, ValueError):
            raise InvalidToken("the token is not valid for this service") from None
        return _principal(decoded.claims), float(decoded.claims["exp"])


def _principal(claims: Mapping[str, Any]) -> Principal:
    subject, department, roles = claims.get("sub"), claims.get("dept"), claims.get("roles")
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("the token has no subject")
    if not isinstance(department, str):
        raise InvalidToken("the token has no department")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise InvalidToken("the token's roles are malformed")
    return Principal(subject=subject, department_id=department, roles=frozenset(roles) & ROLES)


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The access token in an ``Authorization: Bearer`` header, if any."""
    authorization = headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None

"""identity's ES256 signing keys: one signs, retired ones stay published, rotation is safe.

The JWKS always holds the next key ahead of its use, so a service whose key cache was
filled before a rotation already knows the key that signs after it. A rotation makes
that next key the signer and publishes a new next key; the previous key stays in the
JWKS until every token it signed has expired, so nobody is signed out.
Private keys are sealed at rest with the secrets key.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
import uuid
from typing import Any

import asyncpg
from joserfc import jwt
from joserfc.jwk import ECKey

from servicekit.clock import SYSTEM_CLOCK, Clock

from . import store
from .sealing import SecretBox

ALGORITHM = "ES256"
_RELOAD_SECONDS = 60.0
# a retired key stays published this long beyond the longest token lifetime
_PUBLISH_MARGIN = dt.timedelta(minutes=5)


class KeyRing:
    """The signer and the published keys, read from the database and reloaded each minute."""

    def __init__(
        self,
        box: SecretBox,
        *,
        token_lifetime: dt.timedelta,
        key_age: dt.timedelta,
        clock: Clock = SYSTEM_CLOCK,
    ):
        self._box = box
        self._clock = clock
        self._publish_window = token_lifetime + _PUBLISH_MARGIN
        self._key_age = key_age
        self._signer: ECKey | None = None
        self._published: list[dict[str, Any]] = []
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def load(self, pool: asyncpg.Pool) -> None:
        """Read the keys; make the first ones, or rotate a key older than the key age."""
        async with self._lock:
            rows = await self._rows(pool)
            active = _active(rows)
            now = self._clock.now()
            if active is None or (
                active.activated_at and now - active.activated_at > self._key_age
            ):
                await self._promote(pool)
                rows = await self._rows(pool)
                active = _active(rows)
            assert active is not None
            private = self._box.open(
                active.private_key_sealed, bound_to=f"signing-key:{active.kid}"
            )
            self._signer = ECKey.import_key(private, parameters={"kid": active.kid})
            self._published = [row.public_jwk for row in rows]
            self._loaded_at = time.monotonic()

    async def rotate(self, pool: asyncpg.Pool) -> str:
        """Make the pre-published next key the signer now; returns its kid."""
        async with self._lock:
            await self._promote(pool)
            await store.delete_expired_signing_keys(
                db=pool, retired_before=self._clock.now() - 2 * self._publish_window
            )
        self._loaded_at = float("-inf")
        await self.load(pool)
        return self.active_kid

    async def refresh(self, pool: asyncpg.Pool) -> None:
        """Reload when another instance may have rotated since the last look."""
        if time.monotonic() - self._loaded_at > _RELOAD_SECONDS:
            await self.load(pool)

    async def _rows(self, pool: asyncpg.Pool) -> list[store.SigningKeyRow]:
        since = self._clock.now() - self._publish_window
        rows = await store.list_signing_keys(db=pool, published_after=since)
        if not any(row.activated_at is None for row in rows):
            await self._create_next(pool)
            rows = await store.list_signing_keys(db=pool, published_after=since)
        return rows

    async def _promote(self, pool: asyncpg.Pool) -> None:
        """The next key signs from now on; a new next key is published at once."""
        async with pool.acquire() as connection:
            if await store.promote_next_signing_key(db=connection) is None:
                await self._create_next(pool)
                await store.promote_next_signing_key(db=connection)
        await self._create_next(pool)

    async def _create_next(self, pool: asyncpg.Pool) -> str:
        kid = f"{self._clock.now():%Y%m%d}-{uuid.uuid4().hex[:12]}"
        key = ECKey.generate_key("P-256", parameters={"kid": kid}, private=True)
        public = {**key.as_dict(private=False), "kid": kid, "alg": ALGORITHM, "use": "sig"}
        sealed = self._box.seal(key.as_pem(private=True), bound_to=f"signing-key:{kid}")
        # another instance may publish a next key at the same moment; one is enough
        with contextlib.suppress(asyncpg.UniqueViolationError):
            await store.create_signing_key(
                db=pool, kid=kid, public_jwk=public, private_key_sealed=sealed
            )
        return kid

    @property
    def active_kid(self) -> str:
        return str(self._require_signer().kid)

    def jwks(self) -> dict[str, Any]:
        """The public key set: the signer and the retired keys still in their window."""
        return {"keys": list(self._published)}

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS of ``claims`` with the active key (``kid`` in the header)."""
        signer = self._require_signer()
        return jwt.encode({"alg": ALGORITHM, "kid": signer.kid, "typ": "JWT"}, claims, signer)

    def _require_signer(self) -> ECKey:
        if self._signer is None:
            raise RuntimeError("the key ring is used before it was loaded")
        return self._signer


def _active(rows: list[store.SigningKeyRow]) -> store.SigningKeyRow | None:
    return next(
        (row for row in rows if row.activated_at is not None and row.retired_at is None), None
    )

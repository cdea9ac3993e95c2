"""An applicant checks their application's status with its reference and the secret from
the receipt — no account, and nobody else can: the secret is 100 random bits written like an
enrollment code (Crockford's base32, `7K3M-Q9TD-2H8F-XW4P-RC6N`, any case), of which only a
SHA-256 of its written form is kept."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from servicekit import crockford
from servicekit.database import Executor
from servicekit.graphql import context_of

from . import application_store
from .vocabulary import VettingStatus

SECRET_GROUPS = 5  # 20 characters, 100 bits: as many as an enrollment code


def new_secret() -> tuple[str, bytes]:
    """A secret to hand to the applicant, and the digest to keep."""
    secret = crockford.new_code(SECRET_GROUPS)
    return secret, _digest_of(secret)


def _digest_of(typed: str) -> bytes:
    """The digest of a secret as typed: of its written form when it is one; otherwise of the
    text itself, which is how secrets issued before the codes (URL-safe base64, 22
    characters, case-sensitive) were kept — they keep working."""
    written = crockford.normalise(typed, SECRET_GROUPS)
    return hashlib.sha256((written or typed.strip()).encode()[:200]).digest()


async def issue(*, db: Executor, professional_id: UUID) -> str:
    """A new status secret for the application (any earlier one stops working)."""
    secret, digest = new_secret()
    await db.execute(
        """
        INSERT INTO application_status_secrets (professional_id, secret_sha256) VALUES ($1, $2)
        ON CONFLICT (professional_id) DO UPDATE SET secret_sha256 = EXCLUDED.secret_sha256
        """,
        professional_id,
        digest,
    )
    return secret


async def _digest(*, db: Executor, professional_id: UUID) -> bytes | None:
    digest: bytes | None = await db.fetchval(
        "SELECT secret_sha256 FROM application_status_secrets WHERE professional_id = $1",
        professional_id,
    )
    return digest


@strawberry.type(description="Where an application stands, for the applicant.")
class ApplicationStatus:
    reference: str
    status: VettingStatus
    submitted_on: dt.date
    changed_on: dt.date = strawberry.field(description="When the status last changed.")
    reconsider_after: dt.date | None = strawberry.field(
        description="A deferred application may be reopened after this day."
    )


@strawberry.type
class StatusQueries:
    @strawberry.field(
        description="An application's status, for whoever holds its reference and the secret "
        "from the receipt; null when either does not match. No sign-in needed."
    )
    async def application_status(
        self, info: Info[Any, Any], reference: str, secret: str
    ) -> ApplicationStatus | None:
        pool = context_of(info).pool
        row = (
            await application_store.get_by_reference(db=pool, reference=reference.strip().upper())
            if len(reference) <= 40
            else None
        )
        expected = await _digest(db=pool, professional_id=row.key) if row else None
        given = _digest_of(secret)
        # the same work and the same answer for an unknown reference and a wrong secret
        if row is None or not hmac.compare_digest(given, expected or bytes(32)):
            return None
        return ApplicationStatus(
            reference=row.reference,
            status=row.status,
            submitted_on=row.submitted_at.date(),
            changed_on=row.status_changed_at.date(),
            reconsider_after=row.reconsider_after,
        )

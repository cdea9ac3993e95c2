"""SQL of identity's passkeys and their enrolment codes: what a credential is stored as,
and nothing about its use. A coordinator's label is kept only as its keyed digest
(``credentials.label_digest``): it names a person."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from servicekit.database import Executor
from servicekit.rows import RowReader

from . import credentials
from .validity import Validity, from_column, to_column


@dataclass(frozen=True, slots=True)
class EnrollmentCodeRow:
    id: UUID
    organisation_id: UUID
    roles: tuple[str, ...]
    label_digest: bytes | None
    expires_on: dt.date


@dataclass(frozen=True, slots=True)
class PasskeyRow:
    credential_id: bytes
    public_key: bytes
    organisation_id: UUID
    roles: tuple[str, ...]
    label_digest: bytes | None
    valid_until: Validity
    handle_digest: bytes


def _digest(value: bytes | None) -> bytes | None:
    return None if value is None else bytes(value)


_code = RowReader(EnrollmentCodeRow, convert={"roles": tuple, "label_digest": _digest})
_passkey = RowReader(
    PasskeyRow,
    convert={
        "credential_id": bytes,
        "public_key": bytes,
        "roles": tuple,
        "label_digest": _digest,
        "valid_until": from_column,
        "handle_digest": bytes,
    },
)
_CODE_COLUMNS = _code.columns
_PASSKEY_COLUMNS = _passkey.columns


async def add_enrollment_codes(
    *,
    db: asyncpg.Connection | Any,
    codes: list[tuple[UUID, bytes, bytes | None]],
    organisation_id: UUID,
    roles: list[str],
    expires_on: dt.date,
) -> None:
    """Add a batch of codes (id, code digest, label digest) at once: all of them or none."""
    await db.executemany(
        "INSERT INTO enrollment_codes"
        " (id, code_digest, organisation_id, roles, label_digest, expires_on)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        [(id_, code, organisation_id, roles, label, expires_on) for id_, code, label in codes],
    )


async def get_enrollment_code(
    *, db: Executor, code_digest: bytes, today: dt.date
) -> EnrollmentCodeRow | None:
    """The unexpired code with this digest, without spending it."""
    row = await db.fetchrow(
        f"SELECT {_CODE_COLUMNS} FROM enrollment_codes"  # noqa: S608 - constants
        " WHERE code_digest = $1 AND expires_on >= $2",
        code_digest,
        today,
    )
    return _code(row) if row else None


async def list_enrollment_codes(
    *, db: Executor, organisation_id: UUID, today: dt.date
) -> list[EnrollmentCodeRow]:
    rows = await db.fetch(
        f"SELECT {_CODE_COLUMNS} FROM enrollment_codes"  # noqa: S608 - constants
        " WHERE organisation_id = $1 AND expires_on >= $2 ORDER BY expires_on, id",
        organisation_id,
        today,
    )
    return [_code(row) for row in rows]


async def delete_enrollment_codes(
    *,
    db: Executor,
    organisation_id: UUID,
    ids: list[UUID] | None = None,
    label_digest: bytes | None = None,
) -> int:
    """Withdraw codes not used yet: the given ones, those of a label, or all of an
    organisation's."""
    status = await db.execute(
        "DELETE FROM enrollment_codes WHERE organisation_id = $1"
        " AND ($2::uuid[] IS NULL OR id = ANY($2))"
        " AND ($3::bytea IS NULL OR label_digest = $3)",
        organisation_id,
        ids,
        label_digest,
    )
    return int(status.split()[-1])


async def delete_expired_enrollment_codes(*, db: Executor, today: dt.date) -> int:
    """Forget codes whose last day has passed (the housekeeping's)."""
    status = await db.execute("DELETE FROM enrollment_codes WHERE expires_on < $1", today)
    return int(status.split()[-1])


class Enrolment(enum.Enum):
    ENROLLED = "enrolled"
    CODE_UNUSABLE = "code expired or used"
    ALREADY_ENROLLED = "credential enrolled already"


class _Undo(Exception):
    """Rolls back an enrolment whose passkey exists already (the code stays unspent)."""


async def enroll_passkey(
    *, db: asyncpg.Connection | Any, code_id: UUID, today: dt.date, passkey: PasskeyRow
) -> Enrolment:
    """Spend the code, if it still works today, and add its passkey in one transaction.

    The passkey takes the code's label digest, read as the code is spent. A credential id
    enrolled meanwhile (by another code at the same moment) leaves the code unspent; the
    unique key is checked by the insert itself, not before it.
    """
    try:
        async with db.transaction():
            spent = await db.fetchrow(
                "DELETE FROM enrollment_codes WHERE id = $1 AND expires_on >= $2"
                " RETURNING label_digest",
                code_id,
                today,
            )
            if spent is None:
                return Enrolment.CODE_UNUSABLE
            labelled = dataclasses.replace(passkey, label_digest=_digest(spent["label_digest"]))
            if not await add_passkey(db=db, passkey=labelled):
                raise _Undo
    except _Undo:
        return Enrolment.ALREADY_ENROLLED
    return Enrolment.ENROLLED


async def add_passkey(*, db: Executor, passkey: PasskeyRow) -> bool:
    """Add a passkey; False (and nothing written) when its credential id exists already."""
    added = await db.fetchval(
        f"INSERT INTO passkeys ({_PASSKEY_COLUMNS})"  # noqa: S608 - constants
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (credential_id) DO NOTHING RETURNING true",
        passkey.credential_id,
        passkey.public_key,
        passkey.organisation_id,
        list(passkey.roles),
        passkey.label_digest,
        to_column(passkey.valid_until),
        passkey.handle_digest,
    )
    return bool(added)


async def get_passkey(*, db: Executor, credential_id: bytes) -> PasskeyRow | None:
    row = await db.fetchrow(
        f"SELECT {_PASSKEY_COLUMNS} FROM passkeys WHERE credential_id = $1",  # noqa: S608 - constants
        credential_id,
    )
    return _passkey(row) if row else None


async def renew_passkey(
    *, db: Executor, credential_id: bytes, roles: list[str], valid_until: dt.date
) -> bool:
    """A department sign-in renews a passkey that lapsed: new end, the roles it gave."""
    status = await db.execute(
        "UPDATE passkeys SET roles = $2, valid_until = $3"
        " WHERE credential_id = $1 AND valid_until IS NOT NULL",
        credential_id,
        roles,
        valid_until,
    )
    return bool(status == "UPDATE 1")


async def list_passkeys(*, db: Executor, organisation_id: UUID) -> list[PasskeyRow]:
    rows = await db.fetch(
        f"SELECT {_PASSKEY_COLUMNS} FROM passkeys"  # noqa: S608 - constants
        " WHERE organisation_id = $1 ORDER BY valid_until NULLS LAST, credential_id",
        organisation_id,
    )
    return [_passkey(row) for row in rows]


async def delete_passkeys(
    *,
    db: Executor,
    organisation_id: UUID,
    label_digest: bytes | None = None,
    role: str | None = None,
    credential_id: bytes | None = None,
) -> int:
    """Revoke an organisation's passkeys: by label (its digest), by role, one, or (no filter)
    all."""
    status = await db.execute(
        """
        DELETE FROM passkeys WHERE organisation_id = $1
          AND ($2::bytea IS NULL OR label_digest = $2)
          AND ($3::text IS NULL OR $3 = ANY(roles))
          AND ($4::bytea IS NULL OR credential_id = $4)
        """,
        organisation_id,
        label_digest,
        role,
        credential_id,
    )
    return int(status.split()[-1])


async def delete_lapsed_passkeys(*, db: Executor, before: dt.date) -> int:
    """Forget passkeys whose last day was before ``before`` (the housekeeping's)."""
    status = await db.execute("DELETE FROM passkeys WHERE valid_until < $1", before)
    return int(status.split()[-1])


# a lapsed passkey is kept this long, for one department sign-in to renew it (the longest
# period a department may choose); then it is forgotten and its holder adds a new one
RENEWABLE_DAYS = 90


async def keep_house(*, db: asyncpg.Pool, today: dt.date, label_key: bytes) -> None:
    """Identity's housekeeping for passkeys and codes (at start, then hourly; the service's
    clock): labels an older release kept in the clear become digests, codes past their last
    day and passkeys lapsed longer than RENEWABLE_DAYS go, and a passkey without an end in
    an organisation that has an IdP gets the IdP's period.

    The last covers passkeys enrolled from codes before the organisation's IdP was added
    (or before such codes gave a period): an IdP's department has no passkey its IdP would
    never see renewed.
    """
    async with db.acquire() as connection:
        await digest_old_labels(db=connection, label_key=label_key)
    await delete_expired_enrollment_codes(db=db, today=today)
    await delete_lapsed_passkeys(db=db, before=today - dt.timedelta(days=RENEWABLE_DAYS))
    await end_open_ended_passkeys(db=db, today=today)


async def digest_old_labels(*, db: asyncpg.Connection | Any, label_key: bytes) -> int:
    """Labels migration 0009 set aside (written in the clear by an older release): each one's
    digest goes to its passkey or code and the label is deleted, in one transaction."""
    async with db.transaction():
        rows = await db.fetch(
            "DELETE FROM undigested_labels RETURNING organisation_id, credential_id, code_id, label"
        )
        for row in rows:
            digest = credentials.label_digest(label_key, row["organisation_id"], row["label"])
            if row["credential_id"] is not None:
                await db.execute(
                    "UPDATE passkeys SET label_digest = $2 WHERE credential_id = $1",
                    row["credential_id"],
                    digest,
                )
            else:
                await db.execute(
                    "UPDATE enrollment_codes SET label_digest = $2 WHERE id = $1",
                    row["code_id"],
                    digest,
                )
    return len(rows)


async def end_open_ended_passkeys(
    *, db: Executor, today: dt.date, organisation_id: UUID | None = None
) -> int:
    """Passkeys without an end, of organisations with an IdP (their own, or a shared
    issuer's), or of the one given: the IdP's period from today."""
    status = await db.execute(
        """
        WITH idps AS (
            SELECT organisation_id, passkey_days FROM identity_providers WHERE NOT shared
            UNION ALL
            SELECT s.department_id, i.passkey_days FROM shared_issuer_departments s
            JOIN identity_providers i ON i.organisation_id = s.shared_issuer_id
        )
        UPDATE passkeys p SET valid_until = $1::date + idps.passkey_days FROM idps
        WHERE idps.organisation_id = p.organisation_id AND p.valid_until IS NULL
          AND ($2::uuid IS NULL OR p.organisation_id = $2)
        """,
        today,
        organisation_id,
    )
    return int(status.split()[-1])


async def forget_organisation_credentials(*, db: Executor, organisation_id: UUID) -> int:
    """A department that left the network: every passkey and code of it goes (one statement)."""
    status = await db.execute(
        "WITH codes AS (DELETE FROM enrollment_codes WHERE organisation_id = $1)"
        " DELETE FROM passkeys WHERE organisation_id = $1",
        organisation_id,
    )
    return int(status.split()[-1])


async def set_passkey_days(*, db: Executor, organisation_id: UUID, days: int) -> bool:
    status = await db.execute(
        "UPDATE identity_providers SET passkey_days = $2 WHERE organisation_id = $1",
        organisation_id,
        days,
    )
    return bool(status == "UPDATE 1")

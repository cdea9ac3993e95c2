"""SQL of applications: submitting one with its documents, and reading them back for the
vetters. Plain, parameterised, keyword-only, typed returns."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import AsyncIterator, Sequence
from uuid import UUID

import asyncpg
import strawberry

from servicekit.database import Connection, Executor
from servicekit.rows import RowReader
from servicekit.vocabulary import Gender

from .application import Application, Document, License
from .listing import AvailabilityCommitment, insurance_from_json
from .rules import ApplicationIn
from .vocabulary import (
    AssessmentKind,
    DocumentKind,
    LicenseType,
    Modality,
    Specialty,
    VettingStatus,
)

# rows carry exactly their type's columns: a column a later migration adds is not read
_application_row = RowReader(
    Application,
    sources={
        "key": "id",
        "law_enforcement_experience_years": "le_experience_years",
        "law_enforcement_experience": "le_experience",
        "round": "vetting_round",
    },
    convert={
        "id": lambda value: strawberry.ID(str(value)),
        "status": VettingStatus,
        "specialties": lambda values: [Specialty(value) for value in values],
        "modalities": lambda values: [Modality(value) for value in values],
        "gender": lambda value: Gender(value) if value else None,
        "insurance": insurance_from_json,
        "assessment_kind": AssessmentKind,
    },
    computed=("availability",),
)


def _application(row: asyncpg.Record) -> Application:
    return _application_row(
        row,
        availability=AvailabilityCommitment(
            answers_calls_any_hour=row["answers_any_hour"],
            schedules_within_24_hours=row["schedules_within_24h"],
        ),
    )


_license = RowReader(
    License,
    convert={"id": lambda value: strawberry.ID(str(value)), "license_type": LicenseType},
)
_document = RowReader(
    Document, convert={"id": lambda value: strawberry.ID(str(value)), "kind": DocumentKind}
)


# submitting -------------------------------------------------------------------------------


async def get_by_client_key(*, db: Executor, client_key: str) -> Application | None:
    row = await db.fetchrow(
        f"SELECT {_application_row.columns} FROM professionals WHERE client_key = $1",  # noqa: S608
        client_key,
    )
    return _application(row) if row else None


async def create_application(
    *,
    connection: Connection,
    application_in: ApplicationIn,
    reference: str,
    assessment_kind: str,
) -> UUID | None:
    """Insert the application, its licences and locations; None when its client key was used
    already (by a concurrent or earlier submission)."""
    a = application_in
    professional_id: UUID | None = await connection.fetchval(
        """
        INSERT INTO professionals (
            reference, client_key, fingerprint, full_name, credentials, license_types,
            practice_name, phone, email, website, telehealth, telehealth_states, service_states,
            languages, specialties, le_experience_years, le_experience, insurance,
            insurance_keys, self_pay, answers_any_hour, schedules_within_24h,
            licenses_valid_until, assessment_kind, modalities, gender, accepting_new_clients,
            professional_association, professional_association_other, disciplinary_action,
            disciplinary_explanation)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18::jsonb, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)
        ON CONFLICT (client_key) DO NOTHING
        RETURNING id
        """,
        reference,
        a.client_key,
        a.fingerprint(),
        a.full_name,
        a.credentials,
        sorted({license.license_type for license in a.licenses}),
        a.practice_name,
        a.phone,
        a.email,
        a.website,
        a.telehealth,
        a.telehealth_states,
        a.service_states,
        a.languages,
        a.specialties,
        a.le_experience_years,
        a.le_experience,
        json.dumps([dataclasses.asdict(entry) for entry in a.insurance]),
        a.insurance_keys,
        a.self_pay,
        a.answers_any_hour,
        a.schedules_within_24h,
        a.licenses_valid_until,
        assessment_kind,
        a.modalities,
        a.gender,
        a.accepting_new_clients,
        a.professional_association,
        a.professional_association_other,
        a.disciplinary_action,
        a.disciplinary_explanation,
    )
    if professional_id is None:
        return None
    await connection.executemany(
        """
        INSERT INTO licenses (professional_id, license_type, number, state, expires_on)
        VALUES ($1, $2, $3, $4, $5)
        """,
        [(professional_id, x.license_type, x.number, x.state, x.expires_on) for x in a.licenses],
    )
    await connection.executemany(
        """
        INSERT INTO practice_locations (professional_id, position, street, city, state,
                                        zip_code, county, latitude, longitude)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """,
        [
            (
                professional_id,
                i,
                x.street,
                x.city,
                x.state,
                x.zip_code,
                x.county,
                x.latitude,
                x.longitude,
            )
            for i, x in enumerate(a.locations)
        ],
    )
    await connection.execute(
        "INSERT INTO status_changes (professional_id, status) VALUES ($1, 'submitted')",
        professional_id,
    )
    return professional_id


async def add_document(
    *,
    connection: Connection,
    professional_id: UUID,
    position: int,
    kind: str,
    filename: str,
    content_type: str,
    size_bytes: int,
    sha256: str,
) -> UUID:
    document_id: UUID = await connection.fetchval(
        """
        INSERT INTO documents (professional_id, position, kind, filename, content_type,
                               size_bytes, sha256)
        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
        """,
        professional_id,
        position,
        kind,
        filename,
        content_type,
        size_bytes,
        sha256,
    )
    return document_id


async def add_document_chunk(
    *, connection: Connection, document_id: UUID, seq: int, data: bytes
) -> None:
    await connection.execute(
        "INSERT INTO document_chunks (document_id, seq, data) VALUES ($1, $2, $3)",
        document_id,
        seq,
        data,
    )


async def get_document(*, db: Executor, document_id: UUID) -> Document | None:
    row = await db.fetchrow(
        f"SELECT {_document.columns} FROM documents WHERE id = $1",  # noqa: S608
        document_id,
    )
    return _document(row) if row else None


async def document_content(*, db: asyncpg.Pool, document_id: UUID) -> AsyncIterator[bytes]:
    """The document's bytes, one stored piece at a time."""
    seq = -1
    while True:
        row = await db.fetchrow(
            "SELECT seq, data FROM document_chunks WHERE document_id = $1 AND seq > $2"
            " ORDER BY seq LIMIT 1",
            document_id,
            seq,
        )
        if row is None:
            return
        seq = row["seq"]
        yield bytes(row["data"])


# reading ----------------------------------------------------------------------------------


async def get_applications(*, db: Executor, ids: Sequence[UUID]) -> dict[UUID, Application]:
    rows = await db.fetch(
        f"SELECT {_application_row.columns} FROM professionals WHERE id = ANY($1::uuid[])",  # noqa: S608
        list(ids),
    )
    return {row["key"]: _application(row) for row in rows}


async def get_by_reference(*, db: Executor, reference: str) -> Application | None:
    row = await db.fetchrow(
        f"SELECT {_application_row.columns} FROM professionals WHERE reference = $1",  # noqa: S608
        reference,
    )
    return _application(row) if row else None


async def lock_application(*, connection: Connection, professional_id: UUID) -> Application | None:
    """The application, locked until the transaction ends (serialises vetting steps)."""
    row = await connection.fetchrow(
        f"SELECT {_application_row.columns} FROM professionals WHERE id = $1 FOR UPDATE",  # noqa: S608
        professional_id,
    )
    return _application(row) if row else None


async def list_applications(
    *,
    db: Executor,
    status: str | None,
    expiring_by: dt.date | None,
    after: tuple[dt.datetime, UUID] | None,
    limit: int,
) -> list[Application]:
    """Applications oldest first; ``expiring_by`` keeps approved ones with a licence expiring
    on or before that date (the re-vetting list)."""
    rows = await db.fetch(
        f"""
        SELECT {_application_row.columns} FROM professionals
        WHERE ($1::vetting_status IS NULL OR status = $1)
          AND ($2::date IS NULL OR (status = 'approved' AND licenses_valid_until <= $2))
          AND ($3::timestamptz IS NULL OR (submitted_at, id) > ($3, $4::uuid))
        ORDER BY submitted_at, id
        LIMIT $5
        """,  # noqa: S608
        status,
        expiring_by,
        *(after or (None, None)),
        limit,
    )
    return [_application(row) for row in rows]


async def list_licenses(*, db: Executor, professional_ids: Sequence[UUID]) -> list[License]:
    rows = await db.fetch(
        f"SELECT {_license.columns} FROM licenses WHERE professional_id = ANY($1::uuid[])"  # noqa: S608
        " ORDER BY state, number",
        list(professional_ids),
    )
    return [_license(row) for row in rows]


async def list_documents(*, db: Executor, professional_ids: Sequence[UUID]) -> list[Document]:
    rows = await db.fetch(
        f"SELECT {_document.columns} FROM documents"  # noqa: S608
        " WHERE professional_id = ANY($1::uuid[]) ORDER BY position",
        list(professional_ids),
    )
    return [_document(row) for row in rows]


async def get_license(*, db: Executor, license_id: UUID) -> License | None:
    row = await db.fetchrow(
        f"SELECT {_license.columns} FROM licenses WHERE id = $1",  # noqa: S608
        license_id,
    )
    return _license(row) if row else None

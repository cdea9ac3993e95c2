"""SQL of the professionals service: plain, parameterised, keyword-only, typed returns."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from servicekit.database import Connection, Executor
from servicekit.rows import RowReader

from .rules import ApplicationIn

METERS_PER_MILE = 1609.344
EARTH_RADIUS_METERS = 6378168.0  # earthdistance's earth()


@dataclass(frozen=True, slots=True)
class ProfessionalRow:
    id: UUID
    reference: str
    client_key: str
    fingerprint: str
    status: str
    full_name: str
    credentials: str
    license_types: list[str]
    practice_name: str | None
    phone: str
    email: str
    website: str | None
    telehealth: bool
    telehealth_states: list[str]
    service_states: list[str]
    languages: list[str]
    specialties: list[str]
    le_experience_years: int
    le_experience: str | None
    insurance: list[dict[str, Any]]
    insurance_keys: list[str]
    self_pay: bool
    answers_any_hour: bool
    schedules_within_24h: bool
    licenses_valid_until: dt.date
    assessment_kind: str
    assessment_at: dt.datetime | None
    reconsider_after: dt.date | None
    vetting_round: int
    submitted_at: dt.datetime
    status_changed_at: dt.datetime
    distance_miles: float | None = None
    search_key: float | None = None  # the distance search's sort key (a chord), for cursors


@dataclass(frozen=True, slots=True)
class LicenseRow:
    id: UUID
    professional_id: UUID
    license_type: str
    number: str
    state: str
    expires_on: dt.date
    renewed_by: str | None
    renewed_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class LocationRow:
    id: UUID
    professional_id: UUID
    position: int
    street: str
    city: str
    state: str
    zip_code: str
    county: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class DocumentRow:
    id: UUID
    professional_id: UUID
    position: int
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    professional_id: UUID
    vetter: str
    assigned_by: str
    assigned_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AssessmentRow:
    id: UUID
    professional_id: UUID
    round: int
    vetter: str
    license_verified: bool
    insurance_verified: bool
    callback_hours: int
    responsive_to_urgent_requests: bool
    confidentiality_practices: bool
    hipaa_video_platform: bool
    law_enforcement_experience: bool
    notes: str | None
    vote: str
    recorded_at: dt.datetime


@dataclass(frozen=True, slots=True)
class DecisionRow:
    id: UUID
    professional_id: UUID
    round: int
    outcome: str
    approvals: int
    votes: int
    reason: str | None
    reconsider_after: dt.date | None
    decided_by: str
    decided_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """An officer's search; None (or False for the yes/no filters) means "any"."""

    state: str | None = None
    insurance_key: str | None = None
    self_pay: bool = False
    specialty: str | None = None
    language: str | None = None
    telehealth: bool = False
    answers_any_hour: bool = False
    schedules_within_24h: bool = False
    latitude: float | None = None
    longitude: float | None = None
    within_miles: float | None = None


# rows carry exactly their type's columns: a column a later migration adds is not read
_professional_row = RowReader(
    ProfessionalRow,
    alias="p",
    convert={"insurance": json.loads},
    computed=("distance_miles", "search_key"),
)
_license = RowReader(LicenseRow)
_location = RowReader(LocationRow)
_document = RowReader(DocumentRow)
_assignment = RowReader(AssignmentRow)
_assessment = RowReader(AssessmentRow)
_decision = RowReader(DecisionRow)


def _professional(row: asyncpg.Record, *, chord: bool = False) -> ProfessionalRow:
    miles = row.get("miles")
    distance = miles_from_chord(miles) if chord and miles is not None else miles
    return _professional_row(row, distance_miles=distance, search_key=miles)


def chord_meters(miles: float) -> float:
    """The straight-line (through the earth) length of a great-circle distance, in metres:
    what the cube `<->` operator measures between two `ll_to_earth` points."""
    return 2 * EARTH_RADIUS_METERS * math.sin(miles * METERS_PER_MILE / (2 * EARTH_RADIUS_METERS))


def miles_from_chord(chord: float) -> float:
    """The great-circle distance in miles of a chord in metres."""
    ratio = min(1.0, chord / (2 * EARTH_RADIUS_METERS))
    return 2 * EARTH_RADIUS_METERS * math.asin(ratio) / METERS_PER_MILE


# applications ----------------------------------------------------------------------------


async def get_by_client_key(*, db: Executor, client_key: str) -> ProfessionalRow | None:
    row = await db.fetchrow(
        f"SELECT {_professional_row.columns} FROM professionals p WHERE client_key = $1",  # noqa: S608
        client_key,
    )
    return _professional(row) if row else None


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
            licenses_valid_until, assessment_kind)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18::jsonb, $19, $20, $21, $22, $23, $24)
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
        json.dumps(a.insurance),
        a.insurance_keys,
        a.self_pay,
        a.answers_any_hour,
        a.schedules_within_24h,
        a.licenses_valid_until,
        assessment_kind,
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


async def get_document(*, db: Executor, document_id: UUID) -> DocumentRow | None:
    row = await db.fetchrow(
        "SELECT id, professional_id, position, kind, filename, content_type, size_bytes, sha256"
        " FROM documents WHERE id = $1",
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


# reading applications ---------------------------------------------------------------------


async def get_professionals(*, db: Executor, ids: Sequence[UUID]) -> dict[UUID, ProfessionalRow]:
    rows = await db.fetch(
        f"SELECT {_professional_row.columns} FROM professionals p WHERE id = ANY($1::uuid[])",  # noqa: S608
        list(ids),
    )
    return {row["id"]: _professional(row) for row in rows}


async def get_by_reference(*, db: Executor, reference: str) -> ProfessionalRow | None:
    row = await db.fetchrow(
        f"SELECT {_professional_row.columns} FROM professionals p WHERE reference = $1",  # noqa: S608
        reference,
    )
    return _professional(row) if row else None


async def lock_professional(
    *, connection: Connection, professional_id: UUID
) -> ProfessionalRow | None:
    """The application, locked until the transaction ends (serialises vetting steps)."""
    row = await connection.fetchrow(
        f"SELECT {_professional_row.columns} FROM professionals p WHERE id = $1 FOR UPDATE",  # noqa: S608
        professional_id,
    )
    return _professional(row) if row else None


async def list_applications(
    *,
    db: Executor,
    status: str | None,
    expiring_by: dt.date | None,
    after: tuple[dt.datetime, UUID] | None,
    limit: int,
) -> list[ProfessionalRow]:
    """Applications oldest first; ``expiring_by`` keeps approved ones with a licence expiring
    on or before that date (the re-vetting list)."""
    rows = await db.fetch(
        f"""
        SELECT {_professional_row.columns} FROM professionals p
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
    return [_professional(row) for row in rows]


async def list_licenses(*, db: Executor, professional_ids: Sequence[UUID]) -> list[LicenseRow]:
    rows = await db.fetch(
        f"SELECT {_license.columns} FROM licenses WHERE professional_id = ANY($1::uuid[])"  # noqa: S608
        " ORDER BY state, number",
        list(professional_ids),
    )
    return [_license(row) for row in rows]


async def list_locations(*, db: Executor, professional_ids: Sequence[UUID]) -> list[LocationRow]:
    rows = await db.fetch(
        f"SELECT {_location.columns} FROM practice_locations"  # noqa: S608
        " WHERE professional_id = ANY($1::uuid[])"
        " ORDER BY professional_id, position",
        list(professional_ids),
    )
    return [_location(row) for row in rows]


async def list_documents(*, db: Executor, professional_ids: Sequence[UUID]) -> list[DocumentRow]:
    rows = await db.fetch(
        "SELECT id, professional_id, position, kind, filename, content_type, size_bytes, sha256"
        " FROM documents WHERE professional_id = ANY($1::uuid[]) ORDER BY position",
        list(professional_ids),
    )
    return [_document(row) for row in rows]


async def list_assignments(
    *, db: Executor, professional_ids: Sequence[UUID]
) -> list[AssignmentRow]:
    rows = await db.fetch(
        f"SELECT {_assignment.columns} FROM vetting_assignments"  # noqa: S608
        " WHERE professional_id = ANY($1::uuid[])"
        " ORDER BY assigned_at, vetter",
        list(professional_ids),
    )
    return [_assignment(row) for row in rows]


async def list_assessments(
    *, db: Executor, professional_ids: Sequence[UUID]
) -> list[AssessmentRow]:
    rows = await db.fetch(
        f"SELECT {_assessment.columns} FROM assessments"  # noqa: S608
        " WHERE professional_id = ANY($1::uuid[])"
        " ORDER BY round, recorded_at",
        list(professional_ids),
    )
    return [_assessment(row) for row in rows]


async def list_decisions(*, db: Executor, professional_ids: Sequence[UUID]) -> list[DecisionRow]:
    rows = await db.fetch(
        f"SELECT {_decision.columns} FROM vetting_decisions"  # noqa: S608
        " WHERE professional_id = ANY($1::uuid[])"
        " ORDER BY decided_at",
        list(professional_ids),
    )
    return [_decision(row) for row in rows]


# vetting ------------------------------------------------------------------------------------


async def set_status(
    *,
    connection: Connection,
    professional_id: UUID,
    status: str,
    changed_by: str,
    assessment_at: dt.datetime | None = None,
    reconsider_after: dt.date | None = None,
    next_round: bool = False,
) -> None:
    """Move the application to ``status`` and record who did it and when."""
    await connection.execute(
        """
        UPDATE professionals SET status = $2::vetting_status, status_changed_at = now(),
            assessment_at = coalesce($3::timestamptz, assessment_at),
            reconsider_after = CASE WHEN $2::vetting_status = 'deferred' THEN $4::date END,
            vetting_round = vetting_round + CASE WHEN $5::boolean THEN 1 ELSE 0 END
        WHERE id = $1
        """,
        professional_id,
        status,
        assessment_at,
        reconsider_after,
        next_round,
    )
    await connection.execute(
        "INSERT INTO status_changes (professional_id, status, changed_by) VALUES ($1, $2, $3)",
        professional_id,
        status,
        changed_by,
    )


async def assign(
    *, connection: Connection, professional_id: UUID, vetter: str, assigned_by: str
) -> None:
    await connection.execute(
        """
        INSERT INTO vetting_assignments (professional_id, vetter, assigned_by)
        VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
        """,
        professional_id,
        vetter,
        assigned_by,
    )


async def is_assigned(*, db: Executor, professional_id: UUID, vetter: str) -> bool:
    found = await db.fetchval(
        "SELECT 1 FROM vetting_assignments WHERE professional_id = $1 AND vetter = $2",
        professional_id,
        vetter,
    )
    return found is not None


async def is_known_vetter(*, db: Executor, subject: str) -> bool:
    """Whether ``subject`` has acted as a vetter here: assigned, assessed, decided, moved a
    status or recorded a renewal (only the vetter role can). Being assigned by someone else
    proves nothing."""
    found = await db.fetchval(
        """
        SELECT EXISTS (SELECT 1 FROM vetting_assignments WHERE assigned_by = $1)
            OR EXISTS (SELECT 1 FROM assessments WHERE vetter = $1)
            OR EXISTS (SELECT 1 FROM vetting_decisions WHERE decided_by = $1)
            OR EXISTS (SELECT 1 FROM status_changes WHERE changed_by = $1)
            OR EXISTS (SELECT 1 FROM licenses WHERE renewed_by = $1)
        """,
        subject,
    )
    return bool(found)


async def record_assessment(
    *,
    connection: Connection,
    professional_id: UUID,
    round: int,
    vetter: str,
    assessment_in: dict[str, Any],
) -> None:
    """The vetter's assessment of this round; a second one replaces the first."""
    x = assessment_in
    await connection.execute(
        """
        INSERT INTO assessments (professional_id, round, vetter, license_verified,
            insurance_verified, callback_hours, responsive_to_urgent_requests,
            confidentiality_practices, hipaa_video_platform, law_enforcement_experience,
            notes, vote)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        ON CONFLICT (professional_id, round, vetter) DO UPDATE SET
            license_verified = excluded.license_verified,
            insurance_verified = excluded.insurance_verified,
            callback_hours = excluded.callback_hours,
            responsive_to_urgent_requests = excluded.responsive_to_urgent_requests,
            confidentiality_practices = excluded.confidentiality_practices,
            hipaa_video_platform = excluded.hipaa_video_platform,
            law_enforcement_experience = excluded.law_enforcement_experience,
            notes = excluded.notes, vote = excluded.vote, recorded_at = now()
        """,
        professional_id,
        round,
        vetter,
        x["license_verified"],
        x["insurance_verified"],
        x["callback_hours"],
        x["responsive_to_urgent_requests"],
        x["confidentiality_practices"],
        x["hipaa_video_platform"],
        x["law_enforcement_experience"],
        x["notes"],
        x["vote"],
    )


async def votes_of_round(*, db: Executor, professional_id: UUID, round: int) -> list[str]:
    rows = await db.fetch(
        "SELECT vote FROM assessments WHERE professional_id = $1 AND round = $2",
        professional_id,
        round,
    )
    return [str(row["vote"]) for row in rows]


async def record_decision(
    *,
    connection: Connection,
    professional_id: UUID,
    round: int,
    outcome: str,
    approvals: int,
    votes: int,
    reason: str | None,
    reconsider_after: dt.date | None,
    decided_by: str,
) -> None:
    await connection.execute(
        """
        INSERT INTO vetting_decisions (professional_id, round, outcome, approvals, votes,
                                       reason, reconsider_after, decided_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        """,
        professional_id,
        round,
        outcome,
        approvals,
        votes,
        reason,
        reconsider_after,
        decided_by,
    )


async def get_license(*, db: Executor, license_id: UUID) -> LicenseRow | None:
    row = await db.fetchrow(
        f"SELECT {_license.columns} FROM licenses WHERE id = $1",  # noqa: S608
        license_id,
    )
    return _license(row) if row else None


async def renew_license(
    *, connection: Connection, license_id: UUID, expires_on: dt.date, renewed_by: str
) -> UUID | None:
    """Record a renewed licence's new expiry; the listing's validity follows."""
    professional_id: UUID | None = await connection.fetchval(
        """
        UPDATE licenses SET expires_on = $2, renewed_by = $3, renewed_at = now()
        WHERE id = $1 RETURNING professional_id
        """,
        license_id,
        expires_on,
        renewed_by,
    )
    if professional_id is not None:
        await connection.execute(
            """
            UPDATE professionals SET licenses_valid_until =
                (SELECT min(expires_on) FROM licenses WHERE professional_id = $1)
            WHERE id = $1
            """,
            professional_id,
        )
    return professional_id


# search ---------------------------------------------------------------------------------


async def search(
    *,
    db: asyncpg.Pool,
    filters: SearchFilters,
    today: dt.date,
    after: tuple[Any, UUID] | None,
    limit: int,
) -> list[ProfessionalRow]:
    """Listed professionals (approved, every licence current) matching ``filters``: nearest
    first when a place is given, else by name. Reads only; records nothing."""
    f = filters
    common = (
        today,
        f.state,
        f.insurance_key,
        f.self_pay,
        f.specialty,
        f.language,
        f.telehealth,
        f.answers_any_hour,
        f.schedules_within_24h,
    )
    async with db.acquire() as connection, connection.transaction(readonly=True):
        # the optional filters below are `$n IS NULL OR ...`; a plan made for the actual
        # values lets PostgreSQL drop the unused ones and pick the right index
        await connection.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        if f.latitude is not None and f.longitude is not None and f.within_miles is not None:
            rows = await connection.fetch(
                f"""
                SELECT {_professional_row.columns}, near.chord AS miles FROM (
                    SELECT s.professional_id, s.earth <-> ll_to_earth($10, $11)::cube AS chord
                    FROM listing_places s
                    WHERE earth_box(ll_to_earth($10, $11), $12) @> s.earth
                      AND s.earth <-> ll_to_earth($10, $11)::cube <= $13
                      AND s.listed_until >= $1
                      AND ($2::text IS NULL OR s.service_states @> ARRAY[$2::text])
                      AND ($3::text IS NULL OR s.insurance_keys @> ARRAY[$3::text])
                      AND ($4::boolean IS NOT TRUE OR s.self_pay)
                      AND ($5::text IS NULL OR s.specialties @> ARRAY[$5::text])
                      AND ($6::text IS NULL OR s.languages @> ARRAY[$6::text])
                      AND ($7::boolean IS NOT TRUE OR s.telehealth)
                      AND ($8::boolean IS NOT TRUE OR s.answers_any_hour)
                      AND ($9::boolean IS NOT TRUE OR s.schedules_within_24h)
                      -- each professional once, at their nearest office
                      AND NOT EXISTS (
                          SELECT 1 FROM listing_places nearer
                          WHERE nearer.professional_id = s.professional_id
                            AND (nearer.earth <-> ll_to_earth($10, $11)::cube, nearer.position)
                                < (s.earth <-> ll_to_earth($10, $11)::cube, s.position))
                      AND ($14::float8 IS NULL OR (s.earth <-> ll_to_earth($10, $11)::cube,
                                                    s.professional_id) > ($14, $15::uuid))
                    ORDER BY s.earth <-> ll_to_earth($10, $11)::cube, s.professional_id
                    LIMIT $16
                ) near
                JOIN professionals p ON p.id = near.professional_id
                ORDER BY near.chord, p.id
                """,  # noqa: S608
                *common,
                f.latitude,
                f.longitude,
                f.within_miles * METERS_PER_MILE,
                chord_meters(f.within_miles),
                *(after or (None, None)),
                limit,
            )
            return [_professional(row, chord=True) for row in rows]
        else:
            rows = await connection.fetch(
                f"""
                SELECT {_professional_row.columns}, NULL::float8 AS miles FROM professionals p
                WHERE p.status = 'approved' AND p.licenses_valid_until >= $1
                  AND ($2::text IS NULL OR p.service_states @> ARRAY[$2::text])
                  AND ($3::text IS NULL OR p.insurance_keys @> ARRAY[$3::text])
                  AND ($4::boolean IS NOT TRUE OR p.self_pay)
                  AND ($5::text IS NULL OR p.specialties @> ARRAY[$5::text])
                  AND ($6::text IS NULL OR p.languages @> ARRAY[$6::text])
                  AND ($7::boolean IS NOT TRUE OR p.telehealth)
                  AND ($8::boolean IS NOT TRUE OR p.answers_any_hour)
                  AND ($9::boolean IS NOT TRUE OR p.schedules_within_24h)
                  AND ($10::text IS NULL OR (p.full_name, p.id) > ($10, $11::uuid))
                ORDER BY p.full_name, p.id
                LIMIT $12
                """,  # noqa: S608
                *common,
                *(after or (None, None)),
                limit,
            )
    return [_professional(row) for row in rows]


async def get_listed(
    *, db: Executor, ids: Sequence[UUID], today: dt.date
) -> dict[UUID, ProfessionalRow]:
    """Professionals by id, only those listed today (approved, licences current)."""
    rows = await db.fetch(
        f"""
        SELECT {_professional_row.columns} FROM professionals p
        WHERE id = ANY($1::uuid[]) AND status = 'approved' AND licenses_valid_until >= $2
        """,  # noqa: S608
        list(ids),
        today,
    )
    return {row["id"]: _professional(row) for row in rows}

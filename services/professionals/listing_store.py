"""SQL of the officers' listing: the search, listed professionals by id, their offices.
Reads only; records nothing."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import strawberry

from servicekit.database import Executor
from servicekit.rows import RowReader
from servicekit.vocabulary import Gender

from .listing import AvailabilityCommitment, PracticeLocation, Professional, insurance_from_json
from .vocabulary import LicenseType, Modality, Specialty

METERS_PER_MILE = 1609.344
EARTH_RADIUS_METERS = 6378168.0  # earthdistance's earth()
NO_ID = UUID(int=0)  # sorts before every id: the name search's cursor before the first page


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
    gender: str | None = None
    modality: str | None = None
    accepting_new_clients: bool = False
    latitude: float | None = None
    longitude: float | None = None
    within_miles: float | None = None


# a listing carries exactly its type's columns: a column a later migration adds is not read
_listing = RowReader(
    Professional,
    alias="p",
    sources={
        "key": "id",
        "law_enforcement_experience_years": "le_experience_years",
        "law_enforcement_experience": "le_experience",
    },
    convert={
        "id": lambda value: strawberry.ID(str(value)),
        "license_types": lambda values: [LicenseType(value) for value in values],
        "specialties": lambda values: [Specialty(value) for value in values],
        "modalities": lambda values: [Modality(value) for value in values],
        "gender": lambda value: Gender(value) if value else None,
        "insurance": insurance_from_json,
    },
    computed=("availability", "distance_miles", "search_key"),
)
_location = RowReader(PracticeLocation)


def _professional(row: asyncpg.Record, *, chord: bool = False) -> Professional:
    miles = row.get("miles")
    distance = miles_from_chord(miles) if chord and miles is not None else miles
    return _listing(
        row,
        availability=AvailabilityCommitment(
            answers_calls_any_hour=row["answers_any_hour"],
            schedules_within_24_hours=row["schedules_within_24h"],
        ),
        distance_miles=round(distance, 1) if distance is not None else None,
        search_key=miles,
    )


def chord_meters(miles: float) -> float:
    """The straight-line (through the earth) length of a great-circle distance, in metres:
    what the cube `<->` operator measures between two `ll_to_earth` points."""
    return 2 * EARTH_RADIUS_METERS * math.sin(miles * METERS_PER_MILE / (2 * EARTH_RADIUS_METERS))


def miles_from_chord(chord: float) -> float:
    """The great-circle distance in miles of a chord in metres."""
    ratio = min(1.0, chord / (2 * EARTH_RADIUS_METERS))
    return 2 * EARTH_RADIUS_METERS * math.asin(ratio) / METERS_PER_MILE


async def search(
    *,
    db: asyncpg.Pool,
    filters: SearchFilters,
    today: dt.date,
    after: tuple[Any, UUID] | None,
    limit: int,
) -> list[Professional]:
    """Listed professionals (approved, every licence current) matching ``filters``: nearest
    first when a place is given, else by name."""
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
        f.gender,
        f.modality,
        f.accepting_new_clients,
    )
    # the optional filters are `$n IS NULL OR ...`: a plan made for the actual values drops
    # the unused ones (a generic plan guesses they let almost nothing through, and would
    # rather collect and sort every match than walk an index in order and stop early), so
    # the database makes one for every execution (migration 0007_custom_plans)
    if f.latitude is None or f.longitude is None or f.within_miles is None:
        return await _by_name(db, common, after, limit)
    async with db.acquire() as connection, connection.transaction(readonly=True):
        # nearest first, straight from the GiST index, stopping after the page. PostgreSQL
        # cannot tell how many places in the box pass the filters and, guessing few, would
        # rather collect them all (a bitmap scan) and check each for a nearer office of the
        # same professional (hundreds in a city) before sorting.
        await connection.execute("SET LOCAL enable_bitmapscan = off")
        rows = await connection.fetch(
            f"""
            SELECT {_listing.columns}, near.chord AS miles FROM (
                SELECT s.professional_id, s.earth <-> ll_to_earth($13, $14)::cube AS chord
                FROM listing_places s
                WHERE earth_box(ll_to_earth($13, $14), $15) @> s.earth
                  AND s.earth <-> ll_to_earth($13, $14)::cube <= $16
                  AND s.listed_until >= $1
                  AND ($2::text IS NULL OR s.service_states @> ARRAY[$2::text])
                  AND ($3::text IS NULL OR s.insurance_keys @> ARRAY[$3::text])
                  AND ($4::boolean IS NOT TRUE OR s.self_pay)
                  AND ($5::text IS NULL OR s.specialties @> ARRAY[$5::text])
                  AND ($6::text IS NULL OR s.languages @> ARRAY[$6::text])
                  AND ($7::boolean IS NOT TRUE OR s.telehealth)
                  AND ($8::boolean IS NOT TRUE OR s.answers_any_hour)
                  AND ($9::boolean IS NOT TRUE OR s.schedules_within_24h)
                  AND ($10::text IS NULL OR s.gender = $10)
                  AND ($11::text IS NULL OR s.modalities @> ARRAY[$11::text])
                  AND ($12::boolean IS NOT TRUE OR s.accepting_new_clients)
                  -- each professional once, at their nearest office
                  AND NOT EXISTS (
                      SELECT 1 FROM listing_places nearer
                      WHERE nearer.professional_id = s.professional_id
                        AND (nearer.earth <-> ll_to_earth($13, $14)::cube, nearer.position)
                            < (s.earth <-> ll_to_earth($13, $14)::cube, s.position))
                  AND ($17::float8 IS NULL OR (s.earth <-> ll_to_earth($13, $14)::cube,
                                                s.professional_id) > ($17, $18::uuid))
                ORDER BY s.earth <-> ll_to_earth($13, $14)::cube, s.professional_id
                LIMIT $19
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


async def _by_name(
    db: asyncpg.Pool, common: tuple[Any, ...], after: tuple[Any, UUID] | None, limit: int
) -> list[Professional]:
    """The primary key walks the state (or '*', the whole country) in name order from the
    cursor; the optional filters are checked on the narrow rows it passes."""
    rows = await db.fetch(
        f"""
        SELECT {_listing.columns}, NULL::float8 AS miles FROM (
            SELECT n.professional_id, n.full_name FROM listing_names n
            WHERE n.state = coalesce($2::text, '*')
              AND (n.full_name, n.professional_id)
                  > (coalesce($13::text, ''), coalesce($14::uuid, '{NO_ID}'))
              AND n.listed_until >= $1
              AND ($3::text IS NULL OR n.insurance_keys @> ARRAY[$3::text])
              AND ($4::boolean IS NOT TRUE OR n.self_pay)
              AND ($5::text IS NULL OR n.specialties @> ARRAY[$5::text])
              AND ($6::text IS NULL OR n.languages @> ARRAY[$6::text])
              AND ($7::boolean IS NOT TRUE OR n.telehealth)
              AND ($8::boolean IS NOT TRUE OR n.answers_any_hour)
              AND ($9::boolean IS NOT TRUE OR n.schedules_within_24h)
              AND ($10::text IS NULL OR n.gender = $10)
              AND ($11::text IS NULL OR n.modalities @> ARRAY[$11::text])
              AND ($12::boolean IS NOT TRUE OR n.accepting_new_clients)
            ORDER BY n.full_name, n.professional_id
            LIMIT $15
        ) page
        JOIN professionals p ON p.id = page.professional_id
        ORDER BY page.full_name, p.id
        """,  # noqa: S608
        *common,
        *(after or (None, None)),
        limit,
    )
    return [_professional(row) for row in rows]


async def get_listed(
    *, db: Executor, ids: Sequence[UUID], today: dt.date
) -> dict[UUID, Professional]:
    """Professionals by id, only those listed today (approved, licences current)."""
    rows = await db.fetch(
        f"""
        SELECT {_listing.columns} FROM professionals p
        WHERE id = ANY($1::uuid[]) AND status = 'approved' AND licenses_valid_until >= $2
        """,  # noqa: S608
        list(ids),
        today,
    )
    return {row["key"]: _professional(row) for row in rows}


async def list_locations(
    *, db: Executor, professional_ids: Sequence[UUID]
) -> list[PracticeLocation]:
    rows = await db.fetch(
        f"SELECT {_location.columns} FROM practice_locations"  # noqa: S608
        " WHERE professional_id = ANY($1::uuid[])"
        " ORDER BY professional_id, position",
        list(professional_ids),
    )
    return [_location(row) for row in rows]

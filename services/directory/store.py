"""SQL of the directory service: peer supporters and their search.

Search parameters arrive here as query parameters and leave nothing behind: no table
records a search, a viewed profile or a call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from servicekit.clock import Clock
from servicekit.database import Executor
from servicekit.rows import RowReader, RowWriter

from .availability import Span
from .rules import ProfileIn


@dataclass(frozen=True, slots=True, kw_only=True)
class SupporterRow(ProfileIn):
    """A stored profile: what its supporter entered, and what the service keeps with it."""

    id: UUID
    owner_subject: str
    department_id: UUID
    available_until: dt.datetime | None
    unavailable_until: dt.datetime | None
    active: bool


@dataclass(frozen=True, slots=True)
class SearchRow:
    supporter: SupporterRow
    available_now: bool
    rotation: int
    distance_miles: float | None


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """A search's filters, already validated; None means "any"."""

    exclude_department: UUID | None = None
    areas: list[str] | None = None
    language: str | None = None
    state: str | None = None
    county: str | None = None
    gender: str | None = None
    # (latitude, longitude, miles, (min_lat, max_lat, min_lon, max_lon))
    near: tuple[float, float, float, tuple[float, float, float, float]] | None = None
    available_now: bool = False


def _spans(ranges: Sequence[asyncpg.Range[int]]) -> list[Span]:
    # int4 ranges come back canonical: both bounds present, [lower, upper)
    return [(int(r.lower or 0), int(r.upper or 0)) for r in ranges]


def _ranges(spans: Sequence[Span]) -> list[asyncpg.Range[int]]:
    return [asyncpg.Range(start, end) for start, end in spans]


# rows carry exactly their type's columns: a column a later migration adds is not read
_supporter = RowReader(
    SupporterRow,
    alias="s",
    sources={"spans": "weekly_hours"},
    convert={"spans": _spans, "zip_code": str.strip},
)
# writes carry exactly their input type's fields: a field added to it is written as well
_profile_in = RowWriter(ProfileIn, sources={"spans": "weekly_hours"}, convert={"spans": _ranges})
_PROFILE_INSERT = _profile_in.insert(3)


# peer supporters --------------------------------------------------------------------------


async def get_supporters(*, db: Executor, ids: Sequence[UUID]) -> dict[UUID, SupporterRow]:
    """Profiles by id, active or not (one query for any number of ids)."""
    rows = await db.fetch(
        f"SELECT {_supporter.columns} FROM peer_supporters s WHERE s.id = ANY($1::uuid[])",  # noqa: S608
        list(ids),
    )
    return {row["id"]: _supporter(row) for row in rows}


async def get_by_owner(*, db: Executor, owner_subject: str) -> SupporterRow | None:
    row = await db.fetchrow(
        f"SELECT {_supporter.columns} FROM peer_supporters s WHERE s.owner_subject = $1",  # noqa: S608
        owner_subject,
    )
    return _supporter(row) if row else None


async def list_department_supporters(
    *, db: Executor, department_id: UUID | None, after: tuple[str, UUID] | None, limit: int
) -> list[SupporterRow]:
    """Profiles of one department (or all, for network admins) by name, active or not."""
    rows = await db.fetch(
        f"""
        SELECT {_supporter.columns} FROM peer_supporters s
        WHERE ($1::uuid IS NULL OR s.department_id = $1)
          AND ($2::text IS NULL OR (s.display_name, s.id) > ($2, $3::uuid))
        ORDER BY s.display_name, s.id
        LIMIT $4
        """,  # noqa: S608 — column lists from the row types
        department_id,
        *(after or (None, None)),
        limit,
    )
    return [_supporter(row) for row in rows]


async def create_supporter(
    *, db: Executor, owner_subject: str, department_id: UUID, profile_in: ProfileIn
) -> SupporterRow:
    columns, values = _PROFILE_INSERT
    row = await db.fetchrow(
        f"""
        INSERT INTO peer_supporters AS s (owner_subject, department_id, {columns})
        VALUES ($1, $2, {values})
        RETURNING {_supporter.columns}
        """,  # noqa: S608 — column lists from the row types
        owner_subject,
        department_id,
        *_profile_in.values(profile_in),
    )
    assert row is not None
    return _supporter(row)


async def update_supporter(
    *, db: Executor, supporter_id: UUID, profile_in: ProfileIn
) -> SupporterRow | None:
    """Replace a profile's editable fields; None when the id is unknown."""
    row = await db.fetchrow(
        f"""
        UPDATE peer_supporters AS s SET {_profile_in.assignments(2)}
        WHERE s.id = $1
        RETURNING {_supporter.columns}
        """,  # noqa: S608 — column lists from the row types
        supporter_id,
        *_profile_in.values(profile_in),
    )
    return _supporter(row) if row else None


async def set_availability(
    *,
    db: Executor,
    supporter_id: UUID,
    available_until: dt.datetime | None,
    unavailable_until: dt.datetime | None,
) -> SupporterRow | None:
    """Set the manual switch (both None: follow the schedule)."""
    row = await db.fetchrow(
        f"""
        UPDATE peer_supporters AS s SET available_until = $2, unavailable_until = $3
        WHERE s.id = $1
        RETURNING {_supporter.columns}
        """,  # noqa: S608 — column lists from the row types
        supporter_id,
        available_until,
        unavailable_until,
    )
    return _supporter(row) if row else None


async def set_active(*, db: Executor, supporter_id: UUID, active: bool) -> SupporterRow | None:
    row = await db.fetchrow(
        f"""
        UPDATE peer_supporters AS s SET active = $2 WHERE s.id = $1
        RETURNING {_supporter.columns}
        """,  # noqa: S608 — column lists from the row types
        supporter_id,
        active,
    )
    return _supporter(row) if row else None


# Ordering: available now first, then a rotation that is a hash of the profile id seeded
# with the day, so it is fair, changes daily and depends on nothing anyone did.
_SEARCH = f"""
WITH matches AS (
    -- only the sort keys travel through the sort; the page's rows are read afterwards
    SELECT s.id,
        CASE WHEN s.unavailable_until > $2 THEN false
             WHEN s.available_until > $2 THEN true
             ELSE coalesce(s.weekly_hours @> ($1::jsonb ->> s.time_zone)::int, false)
        END AS available_now,
        uuid_hash_extended(s.id, $3) AS rotation,
        CASE WHEN $10::float8 IS NOT NULL THEN
            2 * 3958.8 * asin(least(1.0, sqrt(
                power(sin(radians(s.latitude - $10) / 2), 2)
                + cos(radians($10)) * cos(radians(s.latitude))
                  * power(sin(radians(s.longitude - $11) / 2), 2))))
        END AS distance_miles
    FROM peer_supporters s
    WHERE s.active
      AND ($4::uuid IS NULL OR s.department_id <> $4)
      AND ($5::text[] IS NULL OR s.areas @> $5)
      AND ($6::text IS NULL OR s.languages @> ARRAY[$6])
      AND ($7::text IS NULL OR s.state = $7)
      AND ($8::text IS NULL OR lower(s.county) = lower($8))
      AND ($9::text IS NULL OR s.gender = $9)
      AND ($13::float8 IS NULL OR point(s.longitude, s.latitude)
                                   <@ box(point($15, $13), point($16, $14)))
), page AS (
    SELECT * FROM matches
    WHERE ($12::float8 IS NULL OR distance_miles <= $12)
      AND (NOT $17::boolean OR available_now)
      AND ($18::boolean IS NULL OR (NOT available_now, rotation, id) > ($18, $19, $20::uuid))
    ORDER BY NOT available_now, rotation, id
    LIMIT $21
)
SELECT {_supporter.columns}, page.available_now, page.rotation, page.distance_miles
FROM page JOIN peer_supporters s ON s.id = page.id
ORDER BY NOT page.available_now, page.rotation, page.id
"""  # noqa: S608 — column lists from the row types


# Without a selective filter, the page comes from the kept day's rotation order (migration
# 0007): the available supporters in rotation order first, then the others, each read from
# the rotation index until the page is full. The same order as _SEARCH, row for row; empty
# when the kept day is not the search's (the caller then runs _SEARCH).
_AVAILABLE_NOW = """
    CASE WHEN s.unavailable_until > $2 THEN false
         WHEN s.available_until > $2 THEN true
         ELSE coalesce(s.weekly_hours @> ($1::jsonb ->> s.time_zone)::int, false)
    END"""


def _in_rotation(*, available: bool, after: str) -> str:
    """One half of the page: available (or not) supporters from the rotation index."""
    return f"""
    SELECT {_supporter.columns}, {_AVAILABLE_NOW} AS available_now, r.rotation,
           NULL::float8 AS distance_miles
    FROM search_rotation_day d
    JOIN search_rotation r ON d.day = $3
    JOIN peer_supporters s ON s.id = r.id
    WHERE s.active
      AND ($4::uuid IS NULL OR s.department_id <> $4)
      AND {_AVAILABLE_NOW} = {str(available).lower()}
      AND {after}
    ORDER BY r.rotation, r.id
    LIMIT $9"""  # noqa: S608 — column lists from the row types


# $5: only available; $6, $7, $8: the cursor (not available, rotation, id); $9: the limit
_AFTER = "(r.rotation, r.id) > ($7, $8::uuid)"
_SEARCH_BY_ROTATION = f"""
({_in_rotation(available=True, after=f"($6::boolean IS NULL OR NOT $6 AND {_AFTER})")})
UNION ALL
({_in_rotation(available=False, after=f"NOT $5 AND ($6::boolean IS NULL OR NOT $6 OR {_AFTER})")})
LIMIT $9
"""


def _broad(filters: SearchFilters) -> bool:
    """No filter an index serves: the rotation order is the fastest way to a page."""
    return (
        filters.areas is None
        and filters.language is None
        and filters.state is None
        and filters.county is None
        and filters.gender is None
        and filters.near is None
    )


async def keep_rotation_day(*, db: asyncpg.Pool, day: int) -> None:
    """Re-key the kept rotation for ``day`` when it holds another day's (once a day)."""
    async with db.acquire() as connection, connection.transaction():
        kept = await connection.fetchval("SELECT day FROM search_rotation_day FOR UPDATE")
        if kept != day:
            await connection.execute(
                "UPDATE search_rotation SET rotation = uuid_hash_extended(id, $1)", day
            )
            await connection.execute("UPDATE search_rotation_day SET day = $1", day)


class RotationKeeper:
    """Keeps the rotation of the clock's UTC day; asks the database only when it changed."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._day: int | None = None

    async def __call__(self, pool: asyncpg.Pool) -> None:
        day = self._clock.today().toordinal()
        if day != self._day:
            await keep_rotation_day(db=pool, day=day)
            self._day = day


async def search_supporters(
    *,
    db: Executor,
    filters: SearchFilters,
    now: dt.datetime,
    zones: str,
    day: int,
    after: tuple[bool, int, UUID] | None,
    limit: int,
) -> list[SearchRow]:
    """Active profiles matching ``filters``, available now first, then the day's rotation.

    ``zones`` holds each time zone's current minute of the local week; ``after`` is the
    sort key (not available, rotation, id) of the last row of the previous page.
    """
    if _broad(filters):
        rows = await db.fetch(
            _SEARCH_BY_ROTATION,
            zones,
            now,
            day,
            filters.exclude_department,
            filters.available_now,
            *(after or (None, None, None)),
            limit,
        )
        if len(rows) == limit or await db.fetchval("SELECT day = $1 FROM search_rotation_day", day):
            return [_search_row(row) for row in rows]
    if filters.near is not None:
        latitude, longitude, miles, (min_lat, max_lat, min_lon, max_lon) = filters.near
        near: tuple[Any, ...] = (latitude, longitude, miles, min_lat, max_lat, min_lon, max_lon)
    else:
        near = (None,) * 7
    rows = await db.fetch(
        _SEARCH,
        zones,
        now,
        day,
        filters.exclude_department,
        filters.areas,
        filters.language,
        filters.state,
        filters.county,
        filters.gender,
        *near,
        filters.available_now,
        *(after or (None, None, None)),
        limit,
    )
    return [_search_row(row) for row in rows]


def _search_row(row: asyncpg.Record) -> SearchRow:
    return SearchRow(
        supporter=_supporter(row),
        available_now=row["available_now"],
        rotation=row["rotation"],
        distance_miles=row["distance_miles"],
    )

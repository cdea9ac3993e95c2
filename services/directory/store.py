"""SQL of the directory service: peer supporters, and the changes the search follows.

Searches run in each process's memory (search_index.py) and read nothing here but the
profiles changed since the last search: no table records a search, a viewed profile or a
call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg

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


@dataclass(frozen=True, slots=True)
class SupporterChanges:
    """What changed since a process last looked, as of one snapshot: the counter's
    generation and count, and the profiles (active or not) changed after the count it had
    seen, each with the number of its change."""

    generation: int
    counted: int
    rows: list[tuple[SupporterRow, int]]


# one statement, so one snapshot: the counter and the rows changed before it agree
_CHANGED_SINCE = f"""
SELECT c.generation, c.counted, s.change, {_supporter.columns}
FROM supporter_changes c
LEFT JOIN peer_supporters s ON c.generation = $1 AND s.change > $2
"""  # noqa: S608 — column lists from the row types
_EVERY_ACTIVE = f"""
SELECT c.generation, c.counted, s.change, {_supporter.columns}
FROM supporter_changes c
LEFT JOIN peer_supporters s ON s.active
"""  # noqa: S608 — column lists from the row types


async def supporter_changes(*, db: Executor, generation: int, counted: int) -> SupporterChanges:
    """The profiles changed after change number ``counted`` of ``generation``; none when
    the generation has moved on (a profile was deleted): then every active profile must be
    read again (``every_active_supporter``)."""
    records = await db.fetch(_CHANGED_SINCE, generation, counted)
    return _changes(records)


def _changes(records: Sequence[asyncpg.Record]) -> SupporterChanges:
    first = records[0]
    return SupporterChanges(
        generation=first["generation"],
        counted=first["counted"],
        rows=[(_supporter(r), r["change"]) for r in records if r["id"] is not None],
    )


async def every_active_supporter(
    *, db: asyncpg.Pool, batch: int
) -> AsyncIterator[SupporterChanges]:
    """Every active profile, ``batch`` at a time, as of one snapshot (one statement, read
    through a cursor): the reader never holds them all as records at once."""
    async with db.acquire() as connection, connection.transaction(readonly=True):
        cursor = await connection.cursor(_EVERY_ACTIVE)
        while records := await cursor.fetch(batch):
            yield _changes(records)

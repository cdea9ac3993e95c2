"""SQL of the monthly support reports: the noisy parts each directory process writes when a
month closes, each pair sealed under the report key (``report_key``), and the figures summed
from them once opened. Nothing is written while a month is open; the database never holds
a pair it can read."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import asyncpg

from servicekit.database import Connection

from .report_figures import Cell, minimum_reports, twelve_month_minimum
from .report_key import ReportKey


async def departments_with_profiles(*, db: Connection) -> list[uuid.UUID]:
    """Every department with a peer supporter's profile, active or not: the departments a
    part has a pair for (chosen without looking at any report)."""
    rows = await db.fetch("SELECT DISTINCT department_id FROM peer_supporters")
    return [row["department_id"] for row in rows]


_PART = b"support-report-part"
# serialises the one-time sealing of parts written in the clear (any constant)
SEALING_LOCK = 7_311_202_612

logger = logging.getLogger("wnwa.directory.reports")

PartKey = tuple[dt.date, uuid.UUID, uuid.UUID | None]  # month, part, department (None: network)


def _where(month: dt.date, part_id: uuid.UUID, department: uuid.UUID | None) -> tuple[bytes, ...]:
    """What a sealed pair is bound to: this table, its month, its part, its department."""
    place = department.bytes if department else b""  # a department's id is never empty
    return (_PART, month.isoformat().encode(), part_id.bytes, place)


async def write_part(
    *,
    db: Connection,
    key: ReportKey,
    month: dt.date,
    part_id: uuid.UUID,
    part: Mapping[uuid.UUID | None, Cell],
) -> bool:
    """One process's noisy part of ``month``, each pair sealed, in one transaction; False
    (and nothing written) when this part is there already (a commit whose answer was lost)."""
    network = part[None]
    departments = [d for d in part if d is not None]
    async with db.transaction():
        # the network's row goes first: while it stands, the whole part was written
        first = await db.fetchval(
            """
            INSERT INTO support_report_parts (month, part_id, department_id, sealed)
            VALUES ($1, $2, NULL, $3) ON CONFLICT DO NOTHING RETURNING true
            """,
            month,
            part_id,
            key.seal((network.reports, network.officers_supported), *_where(month, part_id, None)),
        )
        if not first:
            return False
        await db.execute(
            """
            INSERT INTO support_report_parts (month, part_id, department_id, sealed)
            SELECT $1, $2, d, s FROM unnest($3::uuid[], $4::bytea[]) AS p(d, s)
            """,
            month,
            part_id,
            departments,
            [
                key.seal((part[d].reports, part[d].officers_supported), *_where(month, part_id, d))
                for d in departments
            ],
        )
    return True


def opened_parts(key: ReportKey, rows: Iterable[asyncpg.Record]) -> dict[PartKey, Cell]:
    """The pairs of ``rows`` that open for exactly their month, part and department, each
    once: a row forged, moved to another place or copied counts for nothing."""
    opened: dict[PartKey, Cell] = {}
    refused = 0
    for row in rows:
        where: PartKey = (row["month"], row["part_id"], row["department_id"])
        if where in opened:
            continue
        pair = key.open(bytes(row["sealed"]), 2, *_where(*where))
        if pair is None:
            refused += 1
            continue
        opened[where] = Cell(*pair)
    if refused:
        logger.warning("%d report part rows did not open under the report keys", refused)
    return opened


async def seal_waiting_parts(*, db: Connection, key: ReportKey) -> int:
    """Seal the parts written in the clear before migration 0012 (which set them aside in
    ``support_report_parts_to_seal``) and drop that table; the number of rows sealed.

    Done once: only while no sealed part exists, so rows the database's writer puts in a
    table of that name later are dropped unread, never sealed into the figures."""
    if not await db.fetchval("SELECT to_regclass('support_report_parts_to_seal') IS NOT NULL"):
        return 0
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock($1)", SEALING_LOCK)
        if not await db.fetchval("SELECT to_regclass('support_report_parts_to_seal') IS NOT NULL"):
            return 0  # another process sealed them meanwhile
        rows = []
        if not await db.fetchval("SELECT EXISTS (SELECT 1 FROM support_report_parts)"):
            rows = await db.fetch(
                "SELECT month, part_id, department_id, reports, officers_supported"
                " FROM support_report_parts_to_seal"
            )
        await db.execute(
            """
            INSERT INTO support_report_parts (month, part_id, department_id, sealed)
            SELECT * FROM unnest($1::date[], $2::uuid[], $3::uuid[], $4::bytea[])
            ON CONFLICT DO NOTHING
            """,
            [row["month"] for row in rows],
            [row["part_id"] for row in rows],
            [row["department_id"] for row in rows],
            [
                key.seal(
                    (row["reports"], row["officers_supported"]),
                    *_where(row["month"], row["part_id"], row["department_id"]),
                )
                for row in rows
            ],
        )
        await db.execute("DROP TABLE support_report_parts_to_seal")
    return len(rows)


@dataclass(frozen=True, slots=True)
class DepartmentFigure:
    department_id: uuid.UUID
    reports: int
    officers_supported: int


@dataclass(frozen=True, slots=True)
class MonthFigures:
    reports: int
    officers_supported: int
    departments: int  # departments whose summed noisy count reached the threshold
    minimum_reports: int
    department: DepartmentFigure | None


async def month_figures(
    *, db: asyncpg.Pool, key: ReportKey, month: dt.date, department_id: uuid.UUID | None
) -> MonthFigures | None:
    """A closed month's figures: the sums of its parts, clamped at zero, a department's only
    when its summed count reached the threshold for that many parts; None without parts."""
    async with (
        db.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        rows = await connection.fetch(
            "SELECT month, part_id, department_id, sealed FROM support_report_parts"
            " WHERE month = $1",
            month,
        )
    opened = opened_parts(key, rows)
    if not opened:
        return None
    # every part any pair came from: a part missing some rows still adds its noise
    threshold = minimum_reports(len({part for _, part, _ in opened}))
    sums: dict[uuid.UUID | None, Cell] = {}
    for (_, _, department), cell in opened.items():
        total = sums.get(department, Cell(0, 0))
        sums[department] = Cell(
            total.reports + cell.reports, total.officers_supported + cell.officers_supported
        )
    network = sums.get(None, Cell(0, 0))
    shown = sum(1 for d, cell in sums.items() if d is not None and cell.reports >= threshold)
    own = None
    found = sums.get(department_id) if department_id is not None else None
    if department_id is not None and found is not None and found.reports >= threshold:
        own = DepartmentFigure(department_id, found.reports, max(0, found.officers_supported))
    return MonthFigures(
        reports=max(0, network.reports),
        officers_supported=max(0, network.officers_supported),
        departments=shown,
        minimum_reports=threshold,
        department=own,
    )


async def directory_figures(*, db: asyncpg.Pool) -> tuple[int, int]:
    """Active peer supporters and current (not retired) resources."""
    row = await db.fetchrow(
        """
        SELECT (SELECT count(*) FROM peer_supporters WHERE active)::int AS supporters,
               (SELECT count(*) FROM wellbeing_resources
                 WHERE NOT retired AND department_id IS NULL)::int AS resources
        """
    )
    assert row is not None
    return row["supporters"], row["resources"]


@dataclass(frozen=True, slots=True)
class TwelveMonthFigures:
    parts: int  # parts written over the twelve months (one per process per closed month)
    minimum_reports: int
    department: DepartmentFigure | None  # only when its summed count reached the minimum
    network_reports_per_month: float  # the network's noisy reports, per month with parts
    active_supporters: int  # the network's, now
    department_active_supporters: int


async def twelve_month_figures(
    *,
    db: asyncpg.Pool,
    key: ReportKey,
    first: dt.date,
    last: dt.date,
    department_id: uuid.UUID | None,
) -> TwelveMonthFigures:
    """A department's figure summed over the closed months ``first`` to ``last``: the sums of
    their parts (already stored: nothing is drawn again), shown only from
    ``twelve_month_minimum`` of that many parts; and what the pace of reports is estimated
    from (the network's reports and everyone's profiles, never the department's hidden count)."""
    async with (
        db.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        rows = await connection.fetch(
            """
            SELECT month, part_id, department_id, sealed FROM support_report_parts
            WHERE month BETWEEN $1 AND $2 AND (department_id IS NULL OR department_id = $3)
            """,
            first,
            last,
            department_id,
        )
        supporters = await connection.fetchrow(
            """
            SELECT count(*) FILTER (WHERE active)::int AS everyone,
                   count(*) FILTER (WHERE active AND department_id = $1)::int AS department
            FROM peer_supporters
            """,
            department_id,
        )
        assert supporters is not None
    opened = opened_parts(key, rows)
    parts = len({(month, part) for month, part, _ in opened})
    threshold = twelve_month_minimum(parts)
    network = [cell for (_, _, d), cell in opened.items() if d is None]
    months = len({month for month, _, d in opened if d is None})
    own = None
    pairs = [cell for (_, _, d), cell in opened.items() if d is not None]
    if department_id is not None and pairs:
        reports = sum(cell.reports for cell in pairs)
        if reports >= threshold:
            officers = sum(cell.officers_supported for cell in pairs)
            own = DepartmentFigure(department_id, reports, max(0, officers))
    reported = sum(cell.reports for cell in network)
    return TwelveMonthFigures(
        parts=parts,
        minimum_reports=threshold,
        department=own,
        network_reports_per_month=max(0, reported) / months if months else 0.0,
        active_supporters=supporters["everyone"],
        department_active_supporters=supporters["department"],
    )

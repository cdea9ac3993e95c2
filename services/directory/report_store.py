"""SQL of the monthly support reports: the noisy parts each directory process writes when a
month closes, and the figures summed from them. Nothing is written while a month is open."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

from servicekit.database import Connection

from .report_figures import Cell, minimum_reports, twelve_month_minimum


async def departments_with_profiles(*, db: Connection) -> list[uuid.UUID]:
    """Every department with a peer supporter's profile, active or not: the departments a
    part has a pair for (chosen without looking at any report)."""
    rows = await db.fetch("SELECT DISTINCT department_id FROM peer_supporters")
    return [row["department_id"] for row in rows]


async def write_part(
    *, db: Connection, month: dt.date, part_id: uuid.UUID, part: Mapping[uuid.UUID | None, Cell]
) -> bool:
    """One process's noisy part of ``month``, in one transaction; False (and nothing
    written) when this part is there already (a commit whose answer was lost)."""
    network = part[None]
    departments = [d for d in part if d is not None]
    async with db.transaction():
        # the network's row goes first: while it stands, the whole part was written
        first = await db.fetchval(
            """
            INSERT INTO support_report_parts
                (month, part_id, department_id, reports, officers_supported)
            VALUES ($1, $2, NULL, $3, $4) ON CONFLICT DO NOTHING RETURNING true
            """,
            month,
            part_id,
            network.reports,
            network.officers_supported,
        )
        if not first:
            return False
        await db.execute(
            """
            INSERT INTO support_report_parts
                (month, part_id, department_id, reports, officers_supported)
            SELECT $1, $2, d, r, o FROM unnest($3::uuid[], $4::int[], $5::int[]) AS p(d, r, o)
            """,
            month,
            part_id,
            departments,
            [part[d].reports for d in departments],
            [part[d].officers_supported for d in departments],
        )
    return True


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
    *, db: asyncpg.Pool, month: dt.date, department_id: uuid.UUID | None
) -> MonthFigures | None:
    """A closed month's figures: the sums of its parts, clamped at zero, a department's only
    when its summed count reached the threshold for that many parts; None without parts."""
    async with (
        db.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        return await _month_figures(db=connection, month=month, department_id=department_id)


async def _month_figures(
    *, db: Connection, month: dt.date, department_id: uuid.UUID | None
) -> MonthFigures | None:
    network = await db.fetchrow(
        """
        SELECT count(*)::int AS parts, sum(reports)::int AS reports,
               sum(officers_supported)::int AS officers
        FROM support_report_parts WHERE month = $1 AND department_id IS NULL
        """,
        month,
    )
    if network is None or not network["parts"]:
        return None
    threshold = minimum_reports(network["parts"])
    shown = await db.fetchval(
        """
        SELECT count(*)::int FROM (
            SELECT department_id FROM support_report_parts
            WHERE month = $1 AND department_id IS NOT NULL
            GROUP BY department_id HAVING sum(reports) >= $2
        ) AS shown
        """,
        month,
        threshold,
    )
    own = None
    if department_id is not None:
        row = await db.fetchrow(
            """
            SELECT sum(reports)::int AS reports, sum(officers_supported)::int AS officers
            FROM support_report_parts WHERE month = $1 AND department_id = $2
            """,
            month,
            department_id,
        )
        if row is not None and row["reports"] is not None and row["reports"] >= threshold:
            own = DepartmentFigure(department_id, row["reports"], max(0, row["officers"]))
    return MonthFigures(
        reports=max(0, network["reports"]),
        officers_supported=max(0, network["officers"]),
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
    *, db: asyncpg.Pool, first: dt.date, last: dt.date, department_id: uuid.UUID | None
) -> TwelveMonthFigures:
    """A department's figure summed over the closed months ``first`` to ``last``: the sums of
    their parts (already stored: nothing is drawn again), shown only from
    ``twelve_month_minimum`` of that many parts; and what the pace of reports is estimated
    from (the network's reports and everyone's profiles, never the department's hidden count)."""
    async with (
        db.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        network = await connection.fetchrow(
            """
            SELECT count(*)::int AS parts, count(DISTINCT month)::int AS months,
                   coalesce(sum(reports), 0)::int AS reports
            FROM support_report_parts
            WHERE month BETWEEN $1 AND $2 AND department_id IS NULL
            """,
            first,
            last,
        )
        assert network is not None
        threshold = twelve_month_minimum(network["parts"])
        own = None
        if department_id is not None and network["parts"]:
            row = await connection.fetchrow(
                """
                SELECT sum(reports)::int AS reports, sum(officers_supported)::int AS officers
                FROM support_report_parts
                WHERE month BETWEEN $1 AND $2 AND department_id = $3
                """,
                first,
                last,
                department_id,
            )
            if row is not None and row["reports"] is not None and row["reports"] >= threshold:
                own = DepartmentFigure(department_id, row["reports"], max(0, row["officers"]))
        supporters = await connection.fetchrow(
            """
            SELECT count(*) FILTER (WHERE active)::int AS everyone,
                   count(*) FILTER (WHERE active AND department_id = $1)::int AS department
            FROM peer_supporters
            """,
            department_id,
        )
        assert supporters is not None
    per_month = max(0, network["reports"]) / network["months"] if network["months"] else 0.0
    return TwelveMonthFigures(
        parts=network["parts"],
        minimum_reports=threshold,
        department=own,
        network_reports_per_month=per_month,
        active_supporters=supporters["everyone"],
        department_active_supporters=supporters["department"],
    )

"""SQL of the monthly support reports: aggregates and open-month receipts only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from servicekit.database import Connection

# a department's own figure is shown (and kept after its month closes) from this many reports
MINIMUM_REPORTS = 10


@dataclass(frozen=True, slots=True)
class MonthTotals:
    reports: int
    officers_supported: int
    departments: int
    department_reports: int | None
    department_officers_supported: int | None


async def close_months(*, db: Connection, open_from: dt.date) -> None:
    """Fold small departments of closed months into the network row; forget receipts."""
    await db.execute(
        """
        WITH folded AS (
            DELETE FROM support_report_totals
            WHERE month < $1 AND department_id IS NOT NULL AND reports < $2
            RETURNING month, reports, officers_supported
        ), sums AS (
            SELECT month, sum(reports)::int AS reports,
                   sum(officers_supported)::int AS officers_supported
            FROM folded GROUP BY month
        )
        INSERT INTO support_report_totals (month, department_id, reports, officers_supported)
        SELECT month, NULL, reports, officers_supported FROM sums
        ON CONFLICT (month, department_id) DO UPDATE
        SET reports = support_report_totals.reports + excluded.reports,
            officers_supported = support_report_totals.officers_supported
                + excluded.officers_supported
        """,
        open_from,
        MINIMUM_REPORTS,
    )
    await db.execute("DELETE FROM support_report_receipts WHERE month < $1", open_from)


async def add_report(
    *,
    db: Connection,
    month: dt.date,
    department_id: UUID,
    receipt: bytes,
    officers_supported: int,
) -> bool:
    """Add one report to its month's department total; False when the receipt exists."""
    inserted = await db.fetchval(
        """
        INSERT INTO support_report_receipts (month, receipt) VALUES ($1, $2)
        ON CONFLICT DO NOTHING RETURNING true
        """,
        month,
        receipt,
    )
    if not inserted:
        return False
    await db.execute(
        """
        INSERT INTO support_report_totals (month, department_id, reports, officers_supported)
        VALUES ($1, $2, 1, $3)
        ON CONFLICT (month, department_id) DO UPDATE
        SET reports = support_report_totals.reports + 1,
            officers_supported = support_report_totals.officers_supported + $3
        """,
        month,
        department_id,
        officers_supported,
    )
    return True


async def month_totals(
    *, db: asyncpg.Pool | Connection, month: dt.date, department_id: UUID | None
) -> MonthTotals:
    """The network's totals for a month and, with 10 reports or more, one department's."""
    row = await db.fetchrow(
        """
        SELECT coalesce(sum(reports), 0)::int AS reports,
               coalesce(sum(officers_supported), 0)::int AS officers_supported,
               count(*) FILTER (WHERE department_id IS NOT NULL AND reports >= $3)::int
                   AS departments,
               max(reports) FILTER (WHERE department_id = $2 AND reports >= $3)
                   AS department_reports,
               max(officers_supported) FILTER (WHERE department_id = $2 AND reports >= $3)
                   AS department_officers_supported
        FROM support_report_totals WHERE month = $1
        """,
        month,
        department_id,
        MINIMUM_REPORTS,
    )
    assert row is not None
    return MonthTotals(**dict(row))


async def directory_figures(*, db: asyncpg.Pool) -> tuple[int, int]:
    """Active peer supporters and current (not retired) resources."""
    row = await db.fetchrow(
        """
        SELECT (SELECT count(*) FROM peer_supporters WHERE active)::int AS supporters,
               (SELECT count(*) FROM wellbeing_resources WHERE NOT retired)::int AS resources
        """
    )
    assert row is not None
    return row["supporters"], row["resources"]

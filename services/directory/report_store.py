"""SQL of the monthly support reports: sealed reports, receipts, wrapped month keys and the
noisy figures of closed months. Nothing here ever holds a key or a figure in the clear."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import asyncpg

from servicekit.database import Connection

# the lock class of pg_advisory_xact_lock(class, month): one month closes once
_LOCK_CLASS = 0x5EA1


def month_lock_id(month: dt.date) -> int:
    return month.year * 12 + month.month


@dataclass(frozen=True, slots=True)
class WrappedKey:
    month: dt.date
    key_id: uuid.UUID
    wrapped: bytes


@dataclass(frozen=True, slots=True)
class Figure:
    department_id: uuid.UUID | None
    reports: int
    officers_supported: int


async def lock_month(*, db: Connection, month: dt.date, shared: bool) -> None:
    """Hold the month's lock until the transaction ends (reports share it; closing not)."""
    if shared:
        await db.execute(
            "SELECT pg_advisory_xact_lock_shared($1, $2)", _LOCK_CLASS, month_lock_id(month)
        )
    else:
        await db.execute("SELECT pg_advisory_xact_lock($1, $2)", _LOCK_CLASS, month_lock_id(month))


async def renew_holder(*, db: Connection, holder: bytes, alive_until: dt.datetime) -> None:
    """Register or renew this process; forget holders whose lease ran out (and their copies)."""
    await db.execute(
        """
        INSERT INTO report_key_holders (holder, alive_until) VALUES ($1, $2)
        ON CONFLICT (holder) DO UPDATE SET alive_until = excluded.alive_until
        """,
        holder,
        alive_until,
    )
    await db.execute("DELETE FROM report_key_holders WHERE alive_until < now()")


async def is_holder(*, db: Connection, holder: bytes) -> bool:
    found = await db.fetchval("SELECT true FROM report_key_holders WHERE holder = $1", holder)
    return bool(found)


async def remove_holder(*, db: Connection, holder: bytes) -> None:
    await db.execute("DELETE FROM report_key_holders WHERE holder = $1", holder)


async def live_holders(*, db: Connection) -> list[bytes]:
    rows = await db.fetch("SELECT holder FROM report_key_holders WHERE alive_until >= now()")
    return [bytes(row["holder"]) for row in rows]


async def keys_wrapped_for(*, db: Connection, holder: bytes) -> list[WrappedKey]:
    rows = await db.fetch(
        "SELECT month, key_id, wrapped FROM report_month_keys WHERE holder = $1", holder
    )
    return [WrappedKey(row["month"], row["key_id"], bytes(row["wrapped"])) for row in rows]


async def live_key_ids(*, db: Connection, month: dt.date) -> set[uuid.UUID]:
    """Keys of ``month`` that some running process can still open."""
    rows = await db.fetch(
        """
        SELECT DISTINCT k.key_id FROM report_month_keys AS k
        JOIN report_key_holders AS h USING (holder)
        WHERE k.month = $1 AND h.alive_until >= now()
        """,
        month,
    )
    return {row["key_id"] for row in rows}


async def holders_of(*, db: Connection, month: dt.date, key_id: uuid.UUID) -> set[bytes]:
    rows = await db.fetch(
        "SELECT holder FROM report_month_keys WHERE month = $1 AND key_id = $2", month, key_id
    )
    return {bytes(row["holder"]) for row in rows}


async def add_wrapped_keys(
    *, db: Connection, month: dt.date, key_id: uuid.UUID, wrapped: dict[bytes, bytes]
) -> None:
    """Copies of a month key, each wrapped for one holder (``holder -> wrapped``)."""
    await db.executemany(
        """
        INSERT INTO report_month_keys (month, key_id, holder, wrapped)
        SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM report_key_holders WHERE holder = $3)
        ON CONFLICT DO NOTHING
        """,
        [(month, key_id, holder, copy) for holder, copy in wrapped.items()],
    )


async def is_closed(*, db: Connection, month: dt.date) -> bool:
    found = await db.fetchval(
        "SELECT true FROM support_report_figures WHERE month = $1 LIMIT 1", month
    )
    return bool(found)


async def add_report(
    *, db: Connection, month: dt.date, key_id: uuid.UUID, receipt: bytes, sealed: bytes
) -> bool:
    """Store one sealed report; False when the receipt shows this person reported already."""
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
        "INSERT INTO sealed_support_reports (month, key_id, sealed) VALUES ($1, $2, $3)",
        month,
        key_id,
        sealed,
    )
    return True


async def months_to_close(*, db: Connection, open_from: dt.date) -> list[dt.date]:
    """Months before ``open_from`` that still hold keys, sealed reports or legacy totals."""
    rows = await db.fetch(
        """
        SELECT month FROM report_month_keys WHERE month < $1
        UNION SELECT month FROM sealed_support_reports WHERE month < $1
        UNION SELECT month FROM support_report_receipts WHERE month < $1
        UNION SELECT month FROM support_report_totals WHERE month < $1
        ORDER BY 1
        """,
        open_from,
    )
    return [row["month"] for row in rows]


async def sealed_reports(*, db: Connection, month: dt.date) -> list[tuple[uuid.UUID, bytes]]:
    rows = await db.fetch(
        "SELECT key_id, sealed FROM sealed_support_reports WHERE month = $1", month
    )
    return [(row["key_id"], bytes(row["sealed"])) for row in rows]


async def legacy_totals(
    *, db: Connection, month: dt.date
) -> list[tuple[uuid.UUID | None, int, int]]:
    """Exact totals written before reports were sealed (department None: folded ones)."""
    rows = await db.fetch(
        """
        SELECT department_id, reports, officers_supported FROM support_report_totals
        WHERE month = $1
        """,
        month,
    )
    return [(row["department_id"], row["reports"], row["officers_supported"]) for row in rows]


async def write_figures(*, db: Connection, month: dt.date, figures: list[Figure]) -> None:
    """The month's noisy figures; then everything else about the month is deleted."""
    await db.executemany(
        """
        INSERT INTO support_report_figures (month, department_id, reports, officers_supported)
        VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
        """,
        [(month, f.department_id, f.reports, f.officers_supported) for f in figures],
    )
    await forget_month(db=db, month=month)


async def forget_month(*, db: Connection, month: dt.date) -> None:
    for statement in (
        "DELETE FROM sealed_support_reports WHERE month = $1",
        "DELETE FROM support_report_receipts WHERE month = $1",
        "DELETE FROM report_month_keys WHERE month = $1",
        "DELETE FROM support_report_totals WHERE month = $1",
    ):
        await db.execute(statement, month)


@dataclass(frozen=True, slots=True)
class MonthFigures:
    reports: int
    officers_supported: int
    departments: int
    department: Figure | None


async def month_figures(
    *, db: asyncpg.Pool | Connection, month: dt.date, department_id: uuid.UUID | None
) -> MonthFigures | None:
    """A closed month's published figures; None when the month has none."""
    rows = await db.fetch(
        """
        SELECT department_id, reports, officers_supported FROM support_report_figures
        WHERE month = $1
        """,
        month,
    )
    network = next((row for row in rows if row["department_id"] is None), None)
    if network is None:
        return None
    own = next(
        (
            row
            for row in rows
            if department_id is not None and row["department_id"] == department_id
        ),
        None,
    )
    return MonthFigures(
        reports=network["reports"],
        officers_supported=network["officers_supported"],
        departments=len(rows) - 1,
        department=Figure(own["department_id"], own["reports"], own["officers_supported"])
        if own is not None
        else None,
    )


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

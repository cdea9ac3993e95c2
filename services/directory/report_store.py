"""SQL of the monthly support reports: the noisy part each directory process writes when a
month closes, sealed whole under the report key (``report_key``), and the figures summed from
the parts once opened. Nothing is written while a month is open; the database never holds a
value it can read, nor which departments a part names."""

from __future__ import annotations

import datetime as dt
import logging
import struct
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

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
_NETWORK = struct.Struct(">ii")  # the network's pair, first
_DEPARTMENT = struct.Struct(">16sii")  # then each department's id and pair
# serialises the one-time sealing of parts written in the clear (any constant)
SEALING_LOCK = 7_311_202_612

logger = logging.getLogger("wnwa.directory.reports")

Part = dict[uuid.UUID | None, Cell]  # the network's pair (None) and each department's
PartKey = tuple[dt.date, uuid.UUID]  # its month and part id


class SealedRow(Protocol):
    """A row of ``support_report_parts`` (an asyncpg record, or a mapping like one)."""

    def __getitem__(self, column: str) -> Any: ...


def where_sealed(month: dt.date, part_id: uuid.UUID) -> tuple[bytes, ...]:
    """What a sealed part is bound to: this table, its month, its part id."""
    return (_PART, month.isoformat().encode(), part_id.bytes)


def sealed_part(
    key: ReportKey, month: dt.date, part_id: uuid.UUID, part: Mapping[uuid.UUID | None, Cell]
) -> bytes:
    """``part`` as one sealed value: the network's pair, then every department's id and
    pair, each of fixed width (its length says how many departments, never a value)."""
    network = part.get(None, Cell(0, 0))
    plain = _NETWORK.pack(network.reports, network.officers_supported) + b"".join(
        _DEPARTMENT.pack(d.bytes, part[d].reports, part[d].officers_supported)
        for d in sorted(d for d in part if d is not None)
    )
    return key.seal(plain, *where_sealed(month, part_id))


@dataclass(frozen=True, slots=True)
class OpenedPart:
    """One part as it opened: the network's pair, then fixed-width department records."""

    plain: bytes

    @classmethod
    def of(cls, plain: bytes) -> OpenedPart | None:
        if len(plain) < _NETWORK.size or (len(plain) - _NETWORK.size) % _DEPARTMENT.size:
            return None
        return cls(plain)

    def network(self) -> Cell:
        return Cell(*_NETWORK.unpack_from(self.plain))

    def pair(self, department: uuid.UUID) -> Cell | None:
        """The department's pair, found without reading the others (a year of parts holds
        every department's)."""
        at = self.plain.find(department.bytes, _NETWORK.size)
        while at >= 0 and (at - _NETWORK.size) % _DEPARTMENT.size:
            at = self.plain.find(department.bytes, at + 1)
        if at < 0:
            return None
        _, reports, officers = _DEPARTMENT.unpack_from(self.plain, at)
        return Cell(reports, officers)

    def records(self) -> Iterator[tuple[bytes, int, int]]:
        """Each department's id (its 16 bytes), reports and officers, as they are stored."""
        return _DEPARTMENT.iter_unpack(self.plain[_NETWORK.size :])

    def pairs(self) -> Iterator[tuple[uuid.UUID, Cell]]:
        for department, reports, officers in self.records():
            yield uuid.UUID(bytes=department), Cell(reports, officers)


async def write_part(
    *,
    db: Connection,
    key: ReportKey,
    month: dt.date,
    part_id: uuid.UUID,
    part: Mapping[uuid.UUID | None, Cell],
) -> bool:
    """One process's noisy part of ``month``, sealed, in one row; False (and nothing
    written) when it is there already (a commit whose answer was lost)."""
    written = await db.fetchval(
        """
        INSERT INTO support_report_parts (month, part_id, sealed) VALUES ($1, $2, $3)
        ON CONFLICT DO NOTHING RETURNING true
        """,
        month,
        part_id,
        sealed_part(key, month, part_id, part),
    )
    return bool(written)


def opened_parts(key: ReportKey, rows: Iterable[SealedRow]) -> dict[PartKey, OpenedPart]:
    """The parts of ``rows`` that open for exactly their month and part id, each once: a
    row forged, moved to another month or part, or copied counts for nothing."""
    opened: dict[PartKey, OpenedPart] = {}
    refused = 0
    for row in rows:
        where = (row["month"], row["part_id"])
        if where in opened:
            continue
        plain = key.open(bytes(row["sealed"]), *where_sealed(*where))
        part = None if plain is None else OpenedPart.of(plain)
        if part is None:
            refused += 1
            continue
        opened[where] = part
    if refused:
        logger.warning("%d report parts did not open under the report keys", refused)
    return opened


async def seal_waiting_parts(*, db: Connection, key: ReportKey) -> int:
    """Seal the parts written in the clear before migration 0012 (which set them aside in
    ``support_report_parts_to_seal``) and drop that table; the number of parts sealed.

    Done once: only while no sealed part exists, so rows the database's writer puts in a
    table of that name later are dropped unread, never sealed into the figures."""
    waiting = "SELECT to_regclass('support_report_parts_to_seal') IS NOT NULL"
    if not await db.fetchval(waiting):
        return 0
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock($1)", SEALING_LOCK)
        if not await db.fetchval(waiting):
            return 0  # another process sealed them meanwhile
        parts: dict[PartKey, Part] = {}
        if not await db.fetchval("SELECT EXISTS (SELECT 1 FROM support_report_parts)"):
            for row in await db.fetch(
                "SELECT month, part_id, department_id, reports, officers_supported"
                " FROM support_report_parts_to_seal"
            ):
                part = parts.setdefault((row["month"], row["part_id"]), {})
                part[row["department_id"]] = Cell(row["reports"], row["officers_supported"])
        await db.executemany(
            "INSERT INTO support_report_parts (month, part_id, sealed) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING",
            [
                (month, part_id, sealed_part(key, month, part_id, part))
                for (month, part_id), part in parts.items()
            ],
        )
        await db.execute("DROP TABLE support_report_parts_to_seal")
    return len(parts)


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
    rows = await db.fetch(
        "SELECT month, part_id, sealed FROM support_report_parts WHERE month = $1", month
    )
    opened = opened_parts(key, rows)
    if not opened:
        return None
    threshold = minimum_reports(len(opened))
    network = Cell(
        sum(part.network().reports for part in opened.values()),
        sum(part.network().officers_supported for part in opened.values()),
    )
    # summed by the ids' bytes, as stored: a month holds every department's pair per part
    sums: dict[bytes, list[int]] = {}
    for part in opened.values():
        for department, reports, officers in part.records():
            total = sums.get(department)
            if total is None:
                sums[department] = [reports, officers]
            else:
                total[0] += reports
                total[1] += officers
    shown = sum(1 for reports, _ in sums.values() if reports >= threshold)
    own = None
    found = sums.get(department_id.bytes) if department_id is not None else None
    if department_id is not None and found is not None and found[0] >= threshold:
        own = DepartmentFigure(department_id, found[0], max(0, found[1]))
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
            "SELECT month, part_id, sealed FROM support_report_parts WHERE month BETWEEN $1 AND $2",
            first,
            last,
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
    threshold = twelve_month_minimum(len(opened))
    months = len({month for month, _ in opened})
    reported = sum(part.network().reports for part in opened.values())
    own = None
    found = [part.pair(department_id) for part in opened.values()] if department_id else []
    pairs = [cell for cell in found if cell is not None]
    if department_id is not None and pairs:
        reports = sum(cell.reports for cell in pairs)
        if reports >= threshold:
            officers = sum(cell.officers_supported for cell in pairs)
            own = DepartmentFigure(department_id, reports, max(0, officers))
    return TwelveMonthFigures(
        parts=len(opened),
        minimum_reports=threshold,
        department=own,
        network_reports_per_month=max(0, reported) / months if months else 0.0,
        active_supporters=supporters["everyone"],
        department_active_supporters=supporters["department"],
    )

"""This process's part of the report months: tallies in memory, marks in the database's
memory, and a noisy part of the figures written, sealed, once each month closes.

While a month is open nothing about a report is written anywhere. Each process keeps, in
memory only, per department the number of reports it took and the officers they supported
(each report counted up to the cap). That a supporter reported this month is an advisory
lock of the database server (``servicekit.ephemeral``), held by the process that took the
report until the month closes, so a second report is refused by whichever process gets it;
the lock's key is a digest of an HMAC under the report key (``report_key``), so the database
cannot compute it from a pseudonym it knows. When the month closes, each process draws the
noise for its tallies once, forgets the exact counts, and writes its noisy part
(``report_figures``), sealed whole, in one row keyed by a random id only it knows; the
published figures are the sum of the parts. A process that stops before the close takes its
tallies, and its marks, with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field

import asyncpg

from servicekit.app import Running
from servicekit.clock import Clock
from servicekit.ephemeral import EphemeralMarks, MarksUnavailable
from servicekit.errors import is_database_outage

from . import report_figures, report_store
from .report_figures import Cell
from .report_key import ReportKey

CLOSES_ON_DAY = 10  # a month's reports are taken until the 10th of the next month
TICK_SECONDS = 2.0  # how often a process looks for closed months to write (in memory)
STOP_SECONDS = 5.0  # at most this long, at a stop, to write the parts of closed months
MARK_PURPOSE = "support-report"

logger = logging.getLogger("wnwa.directory.reports")


def open_from(today: dt.date) -> dt.date:
    """The first month still taking reports on ``today``."""
    first = today.replace(day=1)
    if today.day > CLOSES_ON_DAY:
        return first
    return (first - dt.timedelta(days=1)).replace(day=1)


def open_months(today: dt.date) -> list[dt.date]:
    first, current = open_from(today), today.replace(day=1)
    return [first] if first == current else [first, current]


def closes_at(month: dt.date) -> dt.datetime:
    """When ``month`` stops taking reports: midnight (UTC) after the 10th of the next."""
    next_month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return dt.datetime.combine(
        next_month + dt.timedelta(days=CLOSES_ON_DAY), dt.time(), tzinfo=dt.UTC
    )


async def sealing_at_start(sealing: Awaitable[None]) -> None:
    """Seal what waits before the first request; a database out of reach leaves it to the
    next tick (which runs it before anything else)."""
    try:
        await sealing
    except Exception as failure:
        if not is_database_outage(failure):
            raise
        logger.warning("parts not sealed at start: the database is unavailable, retrying")


class Outcome(enum.Enum):
    COUNTED = "counted"
    ALREADY = "already reported"
    CLOSED = "closed"
    UNAVAILABLE = "cannot be taken now"


@dataclass
class Tally:
    """One open month as this process saw it: exact counts until the close, then only the
    noisy part waiting to be written."""

    part_id: uuid.UUID = field(default_factory=uuid.uuid4)
    cells: dict[uuid.UUID, Cell] = field(default_factory=dict)
    closing: bool = False  # from the close on, nothing more is counted
    part: dict[uuid.UUID | None, Cell] | None = None  # drawn once, at the close

    def count(self, department: uuid.UUID, officers: int) -> None:
        cell = self.cells.get(department, Cell(0, 0))
        self.cells[department] = Cell(
            cell.reports + 1, cell.officers_supported + report_figures.capped(officers)
        )


class ReportMonths:
    """This process's tallies of the open months and its marks of who reported."""

    def __init__(self, clock: Clock, key: ReportKey) -> None:
        self.clock = clock
        self.key = key
        self.tallies: dict[dt.date, Tally] = {}
        self.marks: EphemeralMarks | None = None
        self.written: set[dt.date] = set()  # months whose part this process wrote
        self.sealed_waiting = False  # the parts of before migration 0012 are sealed
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def running(self, service: Running[None]) -> AsyncIterator[ReportMonths]:
        """Marks for as long as the process runs; at the end, the parts of months that
        closed are written (if the database lets us), and everything else is dropped. Parts
        written in the clear before migration 0012 are sealed first, before any request."""
        await sealing_at_start(self.seal_waiting(service.pool))
        async with EphemeralMarks(service.settings.database_url.value, self.clock) as marks:
            self.marks = marks
            try:
                yield self
            finally:
                try:
                    async with asyncio.timeout(STOP_SECONDS):
                        await self.tick(service.pool)
                except Exception as failure:
                    # without a database the parts cannot be written: the service still stops
                    if not (isinstance(failure, TimeoutError) or is_database_outage(failure)):
                        raise
                    logger.warning(
                        "report parts not written at shutdown: the database is unavailable (%s)",
                        type(failure).__name__,
                    )
                self.tallies.clear()
                self.marks = None

    def _tally(self, month: dt.date) -> Tally:
        return self.tallies.setdefault(month, Tally())

    async def count(
        self, *, month: dt.date, subject: str, department: uuid.UUID, officers: int
    ) -> Outcome:
        """Count one report of an open ``month``, unless ``subject`` reported already."""
        if month in self.written:
            return Outcome.CLOSED
        if self.marks is None:
            return Outcome.UNAVAILABLE
        tally = self._tally(month)
        try:
            first = await self.marks.claim(
                MARK_PURPOSE, self.key.mark(month, subject), until=closes_at(month)
            )
        except MarksUnavailable:
            return Outcome.UNAVAILABLE
        if tally.closing or self.tallies.get(month) is not tally:
            return Outcome.CLOSED  # the month closed while the mark was being claimed
        if not first:
            return Outcome.ALREADY
        tally.count(department, officers)
        return Outcome.COUNTED

    async def tick(self, pool: asyncpg.Pool) -> None:
        """Open this process's tallies of the open months (reported to or not: every process
        writes a part), and write the part of every month that closed."""
        await self.seal_waiting(pool)
        async with self._lock:
            today = self.clock.today()
            for month in open_months(today):
                self._tally(month)
            first_open = open_from(today)
            for month in sorted(m for m in self.tallies if m < first_open):
                await self._write(pool, month, self.tallies[month])

    async def seal_waiting(self, pool: asyncpg.Pool) -> None:
        """Seal the parts written in the clear before migration 0012, once per process (the
        first process of this version does it; the others find nothing to do)."""
        async with self._lock:
            if not self.sealed_waiting:
                async with pool.acquire() as connection:
                    await report_store.seal_waiting_parts(db=connection, key=self.key)
                self.sealed_waiting = True

    async def _write(self, pool: asyncpg.Pool, month: dt.date, tally: Tally) -> None:
        if tally.part is None:
            tally.closing = True  # before any await: a report still claiming its mark is refused
            async with pool.acquire() as connection:
                departments = await report_store.departments_with_profiles(db=connection)
            # the noise is drawn once: a write that fails is retried with the same part, so
            # no second draw of the same counts ever reaches the WAL
            tally.part = await asyncio.to_thread(
                report_figures.noisy_part, tally.cells, departments
            )
            tally.cells = {}
        async with pool.acquire() as connection:
            await report_store.write_part(
                db=connection, key=self.key, month=month, part_id=tally.part_id, part=tally.part
            )
        del self.tallies[month]
        self.written.add(month)

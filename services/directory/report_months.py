"""Opening, sharing and closing report months among the running directory processes.

Every few seconds each process renews its lease, takes the month keys wrapped for it, makes
a key for an open month that has none any running process can open, wraps the keys it holds
for processes that lack them, and closes past months it can close. See ``report_keys`` for
the keys and ``report_figures`` for what closing writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator

import asyncpg

from servicekit.clock import Clock
from servicekit.database import Connection
from servicekit.errors import is_database_outage

from . import report_figures, report_store
from .report_keys import KeyHolder, MonthKey

CLOSES_ON_DAY = 10  # a month's reports are taken until the 10th of the next month
TICK_SECONDS = 2.0  # how often a process looks for newcomers and months to close (reads)
LEASE = dt.timedelta(minutes=2)  # a process silent this long is taken for gone
RENEW_EVERY = dt.timedelta(seconds=30)  # the lease is renewed (a write) this often
STOP_SECONDS = 10.0  # how long shutdown waits to hand the keys over

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


class ReportMonths:
    """This process's part in keeping report months: its key holder and its ticks."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.holder = KeyHolder()
        self._lock = asyncio.Lock()
        self._renewed: dt.datetime | None = None

    async def key_for(self, pool: asyncpg.Pool, month: dt.date) -> MonthKey | None:
        """The open month's key. A process that just started waits a tick or two for a
        running one to wrap it the key; None when none did."""
        for attempt in range(3):
            key = self.holder.key_for(month)
            if key is not None:
                return key
            if attempt:
                await asyncio.sleep(TICK_SECONDS)
            await self.tick(pool)
        return self.holder.key_for(month)

    async def tick(self, pool: asyncpg.Pool) -> None:
        async with self._lock, pool.acquire() as connection:
            await self._renew(connection)
            await self._adopt(connection)
            today = self.clock.today()
            for month in open_months(today):
                await self._ensure(connection, month)
            await self._share(connection)
            first_open = open_from(today)
            # past months still stored, and past months' keys still held here (another
            # process may have closed the month): a closed month's key must not linger
            past = set(await report_store.months_to_close(db=connection, open_from=first_open))
            past |= {month for month in self.holder.keys if month < first_open}
            for month in sorted(past):
                await self._close(connection, month)

    @contextlib.asynccontextmanager
    async def running(self, pool: asyncpg.Pool) -> AsyncIterator[ReportMonths]:
        """This process's part for as long as it runs; at the end, :meth:`stop`."""
        try:
            yield self
        finally:
            await self.stop(pool)

    async def stop(self, pool: asyncpg.Pool) -> None:
        """Hand the keys to the processes still running, then leave. Without a database the
        keys cannot be handed over: they are dropped all the same (a running process, or the
        next to start, makes new ones), and the service still stops cleanly."""
        try:
            async with asyncio.timeout(STOP_SECONDS), self._lock, pool.acquire() as connection:
                await self._share(connection)
                await report_store.remove_holder(db=connection, holder=self.holder.public)
        except Exception as failure:
            if not (isinstance(failure, TimeoutError) or is_database_outage(failure)):
                raise
            logger.warning(
                "report keys not handed over at shutdown: the database is unavailable (%s)",
                type(failure).__name__,
            )
        finally:
            self.holder.keys.clear()
            self._renewed = None

    async def _renew(self, connection: Connection) -> None:
        # the lease is kept in real time, whatever the service's clock says: the other
        # processes, and the database, judge it by theirs
        now = dt.datetime.now(dt.UTC)
        if self._renewed is not None and now - self._renewed < RENEW_EVERY:
            return
        self._renewed = now
        until = now + LEASE
        known = await report_store.is_holder(db=connection, holder=self.holder.public)
        if not known and self.holder.keys:
            # the lease ran out (no database for minutes): others may have made new keys
            logger.warning("report key lease lost; this process's month keys are dropped")
            self.holder.keys.clear()
        await report_store.renew_holder(db=connection, holder=self.holder.public, alive_until=until)

    async def _adopt(self, connection: Connection) -> None:
        for wrapped in await report_store.keys_wrapped_for(
            db=connection, holder=self.holder.public
        ):
            if wrapped.month in self.holder.keys:
                continue
            key = self.holder.unwrap(wrapped.month, wrapped.key_id, wrapped.wrapped)
            if key is not None:
                self.holder.keys[wrapped.month] = key

    async def _ensure(self, connection: Connection, month: dt.date) -> None:
        if month in self.holder.keys:
            return
        async with connection.transaction():
            await report_store.lock_month(db=connection, month=month, shared=False)
            if await report_store.is_closed(db=connection, month=month):
                return
            if await report_store.live_key_ids(db=connection, month=month):
                return  # a running process holds it and wraps it for this one next tick
            key = MonthKey.new(month)
            holders = await report_store.live_holders(db=connection)
            await report_store.add_wrapped_keys(
                db=connection,
                month=month,
                key_id=key.key_id,
                wrapped={holder: self.holder.wrap(key, holder) for holder in holders},
            )
        self.holder.keys[month] = key

    async def _share(self, connection: Connection) -> None:
        holders = set(await report_store.live_holders(db=connection))
        for key in list(self.holder.keys.values()):
            have = await report_store.holders_of(db=connection, month=key.month, key_id=key.key_id)
            missing = holders - have
            if missing:
                await report_store.add_wrapped_keys(
                    db=connection,
                    month=key.month,
                    key_id=key.key_id,
                    wrapped={holder: self.holder.wrap(key, holder) for holder in missing},
                )

    async def _close(self, connection: Connection, month: dt.date) -> None:
        mine = self.holder.key_for(month)
        async with connection.transaction():
            await report_store.lock_month(db=connection, month=month, shared=False)
            if not await report_store.is_closed(db=connection, month=month):
                live = await report_store.live_key_ids(db=connection, month=month)
                if live - {mine.key_id if mine else None}:
                    return  # another running process holds a key of this month: it closes
                await report_store.write_figures(
                    db=connection, month=month, figures=await self._figures(connection, mine, month)
                )
            else:
                await report_store.forget_month(db=connection, month=month)
        self.holder.forget(month)

    async def _figures(
        self, connection: Connection, key: MonthKey | None, month: dt.date
    ) -> list[report_store.Figure]:
        """The month's noisy figures; its exact sums exist only here, for a moment."""
        opened: list[tuple[uuid.UUID, int]] = []
        lost = 0
        for key_id, sealed in await report_store.sealed_reports(db=connection, month=month):
            report = key.open(sealed) if key is not None and key.key_id == key_id else None
            if report is None:
                lost += 1
            else:
                opened.append(report)
        if lost:
            logger.warning("some reports of a closed month could not be opened (key lost)")
        cells = report_figures.exact_cells(opened)
        network_only = report_figures.Cell(0, 0)
        for department, reports, officers in await report_store.legacy_totals(
            db=connection, month=month
        ):
            officers = min(officers, reports * report_figures.OFFICERS_CAP)
            if department is None:
                network_only = report_figures.Cell(
                    network_only.reports + reports, network_only.officers_supported + officers
                )
            else:
                cell = cells.get(department, report_figures.Cell(0, 0))
                cells[department] = report_figures.Cell(
                    cell.reports + reports, cell.officers_supported + officers
                )
        released = report_figures.release(cells, network_only=network_only)
        return [
            report_store.Figure(department, cell.reports, cell.officers_supported)
            for department, cell in released.items()
        ]

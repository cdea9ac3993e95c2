"""The quarterly supporter survey, collected as the monthly reports are (``report_months``):
answers counted in the memory of the process that took them, a mark in the database server's
memory refusing a second answer in the quarter, and at the close one noisy part per process.

A quarter's survey takes answers from its first day until the 10th of the month after it.
While it is open nothing about an answer is written anywhere. At the close each process
draws differential-privacy noise once for the number of answers and for each answer of each
question (every row written whatever the answers: the rows never depend on them), forgets
the exact counts and writes its part, sealed whole (``survey_store``). The marks are the
report months' kind, keyed under the report key, so the database cannot tell who answered.
The results are network-wide only: there is no department in a survey part, so there is no
department's figure to subtract.
One answer moves the number of answers by one and one answer of each question by one, so
each part is ε-differentially private per supporter per quarter with ε = 4 * 0.75 = 3.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

import asyncpg

from servicekit.app import Running
from servicekit.clock import Clock
from servicekit.ephemeral import MarksUnavailable
from servicekit.errors import is_database_outage

from . import report_figures, survey_store
from .report_months import CLOSES_ON_DAY, STOP_SECONDS, Outcome, ReportMonths, sealing_at_start

MARK_PURPOSE = "supporter-survey"
EPSILON_PER_COUNT = 0.75  # the number of answers, and each question's answers
# a quarter with a single answer is published with probability below DELTA
MINIMUM_ANSWERS = report_figures.minimum_count(1, EPSILON_PER_COUNT, 1)
ALL = "ALL"  # the question and answer of the row that counts the answers

# question → its answers, each with the words the portal shows; fixed, so the rows of a part
# are the same whatever anyone answered
QUESTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "LOAD": (
        "How sustainable is your peer-support load?",
        {
            "SUSTAINABLE": "Sustainable",
            "HEAVY_AT_TIMES": "Heavy at times",
            "TOO_HEAVY": "Too heavy",
        },
    ),
    "SUPPORTED": (
        "Did you get the support you needed as a peer supporter?",
        {"YES": "Yes", "PARTLY": "Partly", "NO": "No", "DID_NOT_NEED": "I did not need any"},
    ),
    "RECOMMEND": (
        "Would you recommend the network to a colleague?",
        {"YES": "Yes", "NOT_SURE": "Not sure", "NO": "No"},
    ),
}
ROWS = [(ALL, ALL)] + [(q, a) for q, (_, answers) in QUESTIONS.items() for a in answers]

logger = logging.getLogger("wnwa.directory.survey")


def quarter_of(day: dt.date) -> dt.date:
    """The first day of ``day``'s quarter."""
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def next_quarter(quarter: dt.date) -> dt.date:
    index = quarter.year * 12 + quarter.month - 1 + 3
    return dt.date(index // 12, index % 12 + 1, 1)


def previous_quarter(quarter: dt.date) -> dt.date:
    index = quarter.year * 12 + quarter.month - 1 - 3
    return dt.date(index // 12, index % 12 + 1, 1)


def closes_at(quarter: dt.date) -> dt.datetime:
    """Midnight (UTC) after the 10th of the month after ``quarter``."""
    return dt.datetime.combine(
        next_quarter(quarter) + dt.timedelta(days=CLOSES_ON_DAY), dt.time(), tzinfo=dt.UTC
    )


def open_quarters(today: dt.date) -> list[dt.date]:
    """The quarters taking answers on ``today``: this one, and the last until the 10th."""
    current = quarter_of(today)
    previous = previous_quarter(current)
    if dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC) < closes_at(previous):
        return [previous, current]
    return [current]


def quarter_name(quarter: dt.date) -> str:
    return f"{quarter.year}-Q{(quarter.month - 1) // 3 + 1}"


def noisy_part(counts: Mapping[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    """Every row of :data:`ROWS` with its count and its own discrete Laplace noise; values
    may be negative (only the published sums are clamped)."""
    values = report_figures.noisy(
        [counts.get(row, 0) for row in ROWS], sensitivity=1, epsilon=EPSILON_PER_COUNT
    )
    return dict(zip(ROWS, values, strict=True))


@dataclass
class SurveyTally:
    part_id: uuid.UUID = field(default_factory=uuid.uuid4)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    closing: bool = False
    part: dict[tuple[str, str], int] | None = None


class SurveyQuarters:
    """This process's tallies of the open quarters; the marks are the report months'."""

    def __init__(self, clock: Clock, months: ReportMonths) -> None:
        self.clock = clock
        self.months = months
        self.tallies: dict[dt.date, SurveyTally] = {}
        self.written: set[dt.date] = set()
        self.sealed_waiting = False  # the parts of before migration 0012 are sealed
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def running(self, service: Running[None]) -> AsyncIterator[SurveyQuarters]:
        """The report months' marks for as long as the process runs; at the end, the parts
        of quarters that closed are written (if the database lets us), the rest dropped.
        Parts written in the clear before migration 0012 are sealed first."""
        await sealing_at_start(self.seal_waiting(service.pool))
        async with self.months.running(service):
            try:
                yield self
            finally:
                try:
                    async with asyncio.timeout(STOP_SECONDS):
                        await self.tick(service.pool)
                except Exception as failure:
                    if not (isinstance(failure, TimeoutError) or is_database_outage(failure)):
                        raise
                    logger.warning(
                        "survey parts not written at shutdown: the database is unavailable (%s)",
                        type(failure).__name__,
                    )
                self.tallies.clear()

    async def answer(
        self, *, quarter: dt.date, subject: str, answers: Mapping[str, str]
    ) -> Outcome:
        """Count one supporter's answers to an open ``quarter``, unless they answered."""
        marks = self.months.marks
        if quarter in self.written:
            return Outcome.CLOSED
        if marks is None:
            return Outcome.UNAVAILABLE
        tally = self.tallies.setdefault(quarter, SurveyTally())
        try:
            first = await marks.claim(
                MARK_PURPOSE, self.months.key.mark(quarter, subject), until=closes_at(quarter)
            )
        except MarksUnavailable:
            return Outcome.UNAVAILABLE
        if tally.closing or self.tallies.get(quarter) is not tally:
            return Outcome.CLOSED
        if not first:
            return Outcome.ALREADY
        for row in [(ALL, ALL), *answers.items()]:
            tally.counts[row] = tally.counts.get(row, 0) + 1
        return Outcome.COUNTED

    async def seal_waiting(self, pool: asyncpg.Pool) -> None:
        """Seal the survey parts written in the clear before migration 0012, once."""
        async with self._lock:
            if not self.sealed_waiting:
                async with pool.acquire() as connection:
                    await survey_store.seal_waiting_parts(db=connection, key=self.months.key)
                self.sealed_waiting = True

    async def tick(self, pool: asyncpg.Pool) -> None:
        """Open a tally for each open quarter (every process writes a part), and write the
        part of every quarter that closed."""
        await self.seal_waiting(pool)
        async with self._lock:
            now = self.clock.now()
            for quarter in open_quarters(now.date()):
                self.tallies.setdefault(quarter, SurveyTally())
            for quarter in sorted(q for q in self.tallies if closes_at(q) <= now):
                tally = self.tallies[quarter]
                if tally.part is None:
                    tally.closing = True  # before any await: an answer claiming is refused
                    # drawn once: a failed write is retried with the same part
                    tally.part = await asyncio.to_thread(noisy_part, tally.counts)
                    tally.counts = {}
                async with pool.acquire() as connection:
                    await survey_store.write_part(
                        db=connection,
                        key=self.months.key,
                        quarter=quarter,
                        part_id=tally.part_id,
                        part=tally.part,
                    )
                del self.tallies[quarter]
                self.written.add(quarter)

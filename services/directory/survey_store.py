"""SQL of the quarterly supporter survey: the noisy parts each directory process writes when
a quarter closes, each count sealed under the report key (``report_key``), and the
network-wide results summed from them once opened. Nothing is written while a quarter is
open, nothing in a part names a department or a person, and the database never holds a
count it can read."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

from servicekit.database import Connection

from .report_key import ReportKey
from .report_store import SEALING_LOCK

_PART = b"supporter-survey-part"

logger = logging.getLogger("wnwa.directory.survey")


def _where(quarter: dt.date, part_id: uuid.UUID, question: str, answer: str) -> tuple[bytes, ...]:
    """What a sealed count is bound to: this table, its quarter, its part, its answer."""
    return (_PART, quarter.isoformat().encode(), part_id.bytes, question.encode(), answer.encode())


async def write_part(
    *,
    db: Connection,
    key: ReportKey,
    quarter: dt.date,
    part_id: uuid.UUID,
    part: Mapping[tuple[str, str], int],
) -> bool:
    """One process's noisy part of ``quarter``, each count sealed, in one statement; False
    when it is there already (a commit whose answer was lost)."""
    rows = list(part.items())
    written = await db.fetchval(
        """
        WITH written AS (
            INSERT INTO supporter_survey_parts (quarter, part_id, question, answer, sealed)
            SELECT $1, $2, q, a, s FROM unnest($3::text[], $4::text[], $5::bytea[]) AS p(q, a, s)
            ON CONFLICT DO NOTHING RETURNING 1
        ) SELECT count(*) FROM written
        """,
        quarter,
        part_id,
        [question for (question, _), _ in rows],
        [answer for (_, answer), _ in rows],
        [key.seal((count,), *_where(quarter, part_id, q, a)) for (q, a), count in rows],
    )
    return bool(written)


@dataclass(frozen=True, slots=True)
class QuarterResults:
    parts: int
    counts: dict[tuple[str, str], int]  # summed over the parts, not clamped


async def quarter_results(*, db: asyncpg.Pool, key: ReportKey, quarter: dt.date) -> QuarterResults:
    """The sums of a closed quarter's parts (no parts: zero parts, no counts); a row forged,
    moved or copied counts for nothing."""
    async with (
        db.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        rows = await connection.fetch(
            "SELECT part_id, question, answer, sealed FROM supporter_survey_parts"
            " WHERE quarter = $1",
            quarter,
        )
    opened: dict[tuple[uuid.UUID, str, str], int] = {}
    refused = 0
    for row in rows:
        where = (row["part_id"], row["question"], row["answer"])
        if where in opened:
            continue
        value = key.open(bytes(row["sealed"]), 1, *_where(quarter, *where))
        if value is None:
            refused += 1
            continue
        opened[where] = value[0]
    if refused:
        logger.warning("%d survey part rows did not open under the report keys", refused)
    counts: dict[tuple[str, str], int] = {}
    for (_, question, answer), count in opened.items():
        counts[(question, answer)] = counts.get((question, answer), 0) + count
    return QuarterResults(len({part for part, _, _ in opened}), counts)


async def seal_waiting_parts(*, db: Connection, key: ReportKey) -> int:
    """Seal the parts written in the clear before migration 0012 (set aside in
    ``supporter_survey_parts_to_seal``) and drop that table, once: only while no sealed part
    exists (``report_store.seal_waiting_parts`` says why); the number of rows sealed."""
    exists = "SELECT to_regclass('supporter_survey_parts_to_seal') IS NOT NULL"
    if not await db.fetchval(exists):
        return 0
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock($1)", SEALING_LOCK)
        if not await db.fetchval(exists):
            return 0  # another process sealed them meanwhile
        rows = []
        if not await db.fetchval("SELECT EXISTS (SELECT 1 FROM supporter_survey_parts)"):
            rows = await db.fetch(
                "SELECT quarter, part_id, question, answer, answers"
                " FROM supporter_survey_parts_to_seal"
            )
        await db.execute(
            """
            INSERT INTO supporter_survey_parts (quarter, part_id, question, answer, sealed)
            SELECT * FROM unnest($1::date[], $2::uuid[], $3::text[], $4::text[], $5::bytea[])
            ON CONFLICT DO NOTHING
            """,
            [row["quarter"] for row in rows],
            [row["part_id"] for row in rows],
            [row["question"] for row in rows],
            [row["answer"] for row in rows],
            [
                key.seal(
                    (row["answers"],),
                    *_where(row["quarter"], row["part_id"], row["question"], row["answer"]),
                )
                for row in rows
            ],
        )
        await db.execute("DROP TABLE supporter_survey_parts_to_seal")
    return len(rows)

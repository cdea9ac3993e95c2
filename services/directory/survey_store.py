"""SQL of the quarterly supporter survey: the noisy parts each directory process writes when
a quarter closes, and the network-wide results summed from them. Nothing is written while a
quarter is open, and nothing in a part names a department or a person."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

from servicekit.database import Connection


async def write_part(
    *, db: Connection, quarter: dt.date, part_id: uuid.UUID, part: Mapping[tuple[str, str], int]
) -> bool:
    """One process's noisy part of ``quarter`` in one statement; False when it is there
    already (a commit whose answer was lost)."""
    rows = list(part.items())
    written = await db.fetchval(
        """
        WITH written AS (
            INSERT INTO supporter_survey_parts (quarter, part_id, question, answer, answers)
            SELECT $1, $2, q, a, n FROM unnest($3::text[], $4::text[], $5::int[]) AS p(q, a, n)
            ON CONFLICT DO NOTHING RETURNING 1
        ) SELECT count(*) FROM written
        """,
        quarter,
        part_id,
        [question for (question, _), _ in rows],
        [answer for (_, answer), _ in rows],
        [count for _, count in rows],
    )
    return bool(written)


@dataclass(frozen=True, slots=True)
class QuarterResults:
    parts: int
    counts: dict[tuple[str, str], int]  # summed over the parts, not clamped


async def quarter_results(*, db: asyncpg.Pool, quarter: dt.date) -> QuarterResults:
    """The sums of a closed quarter's parts (no parts: zero parts, no counts)."""
    async with (
        db.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        rows = await connection.fetch(
            """
            SELECT question, answer, count(*)::int AS parts, sum(answers)::int AS answers
            FROM supporter_survey_parts WHERE quarter = $1 GROUP BY question, answer
            """,
            quarter,
        )
    parts = max((row["parts"] for row in rows), default=0)
    return QuarterResults(parts, {(r["question"], r["answer"]): r["answers"] for r in rows})

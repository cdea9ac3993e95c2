"""SQL of the quarterly supporter survey: the noisy part each directory process writes when
a quarter closes, sealed whole under the report key (``report_key``), and the network-wide
results summed from the parts once opened. Nothing is written while a quarter is open,
nothing in a part names a department or a person, and the database never holds a count it
can read."""

from __future__ import annotations

import datetime as dt
import logging
import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

from servicekit.database import Connection

from .report_key import ReportKey
from .report_store import SEALING_LOCK

_PART = b"supporter-survey-part"
_ENTRY = struct.Struct(">16s24si")  # question, answer (NUL-padded), noisy count

logger = logging.getLogger("wnwa.directory.survey")


def _where(quarter: dt.date, part_id: uuid.UUID) -> tuple[bytes, ...]:
    """What a sealed part is bound to: this table, its quarter, its part id."""
    return (_PART, quarter.isoformat().encode(), part_id.bytes)


def _sealed(
    key: ReportKey, quarter: dt.date, part_id: uuid.UUID, part: Mapping[tuple[str, str], int]
) -> bytes:
    """``part`` as one sealed value: each answer's row of fixed width, so its length says
    how many rows (the same in every part), never a count."""
    if any(len(q) > 16 or len(a) > 24 for q, a in part):
        raise ValueError("a survey question is named in 16 characters, an answer in 24")
    plain = b"".join(
        _ENTRY.pack(question.encode(), answer.encode(), count)
        for (question, answer), count in sorted(part.items())
    )
    return key.seal(plain, *_where(quarter, part_id))


def open_part(
    key: ReportKey, quarter: dt.date, part_id: uuid.UUID, sealed: bytes
) -> dict[tuple[str, str], int] | None:
    """A part's counts by (question, answer); None when it does not open for exactly that
    quarter and part id."""
    plain = key.open(sealed, *_where(quarter, part_id))
    if not plain or len(plain) % _ENTRY.size:
        return None
    return {
        (question.rstrip(b"\0").decode(), answer.rstrip(b"\0").decode()): count
        for question, answer, count in _ENTRY.iter_unpack(plain)
    }


async def write_part(
    *,
    db: Connection,
    key: ReportKey,
    quarter: dt.date,
    part_id: uuid.UUID,
    part: Mapping[tuple[str, str], int],
) -> bool:
    """One process's noisy part of ``quarter``, sealed, in one row; False when it is there
    already (a commit whose answer was lost)."""
    written = await db.fetchval(
        """
        INSERT INTO supporter_survey_parts (quarter, part_id, sealed) VALUES ($1, $2, $3)
        ON CONFLICT DO NOTHING RETURNING true
        """,
        quarter,
        part_id,
        _sealed(key, quarter, part_id, part),
    )
    return bool(written)


@dataclass(frozen=True, slots=True)
class QuarterResults:
    parts: int
    counts: dict[tuple[str, str], int]  # summed over the parts, not clamped


async def quarter_results(*, db: asyncpg.Pool, key: ReportKey, quarter: dt.date) -> QuarterResults:
    """The sums of a closed quarter's parts (no parts: zero parts, no counts); a row forged,
    moved or copied counts for nothing."""
    rows = await db.fetch(
        "SELECT part_id, sealed FROM supporter_survey_parts WHERE quarter = $1", quarter
    )
    opened: dict[uuid.UUID, dict[tuple[str, str], int]] = {}
    refused = 0
    for row in rows:
        if row["part_id"] in opened:
            continue
        part = open_part(key, quarter, row["part_id"], bytes(row["sealed"]))
        if part is None:
            refused += 1
            continue
        opened[row["part_id"]] = part
    if refused:
        logger.warning("%d survey parts did not open under the report keys", refused)
    counts: dict[tuple[str, str], int] = {}
    for part in opened.values():
        for row_of, count in part.items():
            counts[row_of] = counts.get(row_of, 0) + count
    return QuarterResults(len(opened), counts)


async def seal_waiting_parts(*, db: Connection, key: ReportKey) -> int:
    """Seal the parts written in the clear before migration 0012 (set aside in
    ``supporter_survey_parts_to_seal``) and drop that table, once: only while no sealed part
    exists (``report_store.seal_waiting_parts`` says why); the number of parts sealed."""
    waiting = "SELECT to_regclass('supporter_survey_parts_to_seal') IS NOT NULL"
    if not await db.fetchval(waiting):
        return 0
    async with db.transaction():
        await db.execute("SELECT pg_advisory_xact_lock($1)", SEALING_LOCK)
        if not await db.fetchval(waiting):
            return 0  # another process sealed them meanwhile
        parts: dict[tuple[dt.date, uuid.UUID], dict[tuple[str, str], int]] = {}
        if not await db.fetchval("SELECT EXISTS (SELECT 1 FROM supporter_survey_parts)"):
            for row in await db.fetch(
                "SELECT quarter, part_id, question, answer, answers"
                " FROM supporter_survey_parts_to_seal"
            ):
                part = parts.setdefault((row["quarter"], row["part_id"]), {})
                part[(row["question"], row["answer"])] = row["answers"]
        await db.executemany(
            "INSERT INTO supporter_survey_parts (quarter, part_id, sealed) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING",
            [
                (quarter, part_id, _sealed(key, quarter, part_id, part))
                for (quarter, part_id), part in parts.items()
            ],
        )
        await db.execute("DROP TABLE supporter_survey_parts_to_seal")
    return len(parts)

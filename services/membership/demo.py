"""Demo data for membership: the fictional departments, their terms and fee tiers."""

from __future__ import annotations

import datetime as dt

import asyncpg

from servicekit.clock import SYSTEM_CLOCK, Clock
from servicekit.demo import DEMO_DEPARTMENTS

from .rules import term_end

# Illustrative tiers for the demo; a deployment sets its own through `setFeeTiers`.
DEMO_FEE_TIERS = ((1, 15, 1_500_00), (16, 30, 2_500_00), (31, 50, 3_500_00), (51, None, 5_000_00))


async def seed(connection: asyncpg.Connection, *, clock: Clock = SYSTEM_CLOCK) -> bool:
    """Insert the demo data into an empty membership database; False when not empty."""
    if await connection.fetchval("SELECT count(*) FROM departments"):
        return False
    today = clock.today()
    async with connection.transaction():
        await connection.executemany(
            "INSERT INTO fee_tiers (min_sworn, max_sworn, annual_fee_cents) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING",
            DEMO_FEE_TIERS,
        )
        for index, department in enumerate(DEMO_DEPARTMENTS):
            active = department.status == "active"
            # spread first terms over the past four years, so some are renewals already
            joined = today - dt.timedelta(days=120 + 53 * index) if active else None
            await connection.execute(
                """
                INSERT INTO departments (id, name, ori, county, state, sworn_officers,
                                         civilians_enrolled, status, joined_on)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """,
                department.id,
                department.name,
                department.ori,
                department.county,
                department.state,
                department.sworn_officers,
                department.civilians_enrolled,
                department.status,
                joined,
            )
            if joined is None:
                continue
            fee = await connection.fetchval(
                "SELECT annual_fee_cents FROM fee_tiers WHERE min_sworn <= $1"
                " AND (max_sworn IS NULL OR max_sworn >= $1)",
                department.sworn_officers,
            )
            await connection.execute(
                "INSERT INTO subscription_terms (department_id, kind, starts_on, annual_fee_cents)"
                " VALUES ($1, 'first', $2, $3)",
                department.id,
                joined,
                fee,
            )
            renewal = term_end(3, joined)
            if renewal <= today:
                await connection.execute(
                    "INSERT INTO subscription_terms (department_id, kind, starts_on,"
                    " annual_fee_cents) VALUES ($1, 'renewal', $2, $3)",
                    department.id,
                    renewal,
                    fee,
                )
    return True

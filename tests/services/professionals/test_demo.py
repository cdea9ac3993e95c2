"""The demo data: professionals coast to coast, some waiting for vetters."""

from __future__ import annotations

import asyncpg

from services.professionals.demo import seed
from tests.conftest import ServiceUnderTest


async def test_demo_professionals_span_the_country(
    professionals: ServiceUnderTest, db: asyncpg.Connection, officer_token: str
) -> None:
    assert await seed(db) is True
    assert await seed(db) is False
    west = await professionals.graphql(
        '{ professionals(search: {nearZipCode: "98104", withinMiles: 25}) '
        "{ nodes { fullName insurance { carrier { name } } } } }",
        token=officer_token,
    )
    assert west["data"]["professionals"]["nodes"]
    east = await professionals.graphql(
        '{ professionals(search: {nearZipCode: "02110", withinMiles: 25}) { nodes { fullName } } }',
        token=officer_token,
    )
    assert east["data"]["professionals"]["nodes"]
    waiting = await db.fetch("SELECT status::text FROM professionals WHERE status <> 'approved'")
    assert sorted(row["status"] for row in waiting) == [
        "assessment_scheduled",
        "deliberation",
        "submitted",
        "under_review",
    ]

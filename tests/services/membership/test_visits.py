"""Anonymous visit totals: only the gateway's service adds them; anyone reads them."""

from __future__ import annotations

import datetime as dt

import asyncpg

from servicekit.clock import FixedClock
from tests.conftest import ServiceUnderTest
from tests.support.tokens import TokenIssuer

RECORD = """
mutation Record($day: Date!, $views: Int!, $installs: Int!) {
  recordVisitTotals(day: $day, pageViews: $views, installs: $installs) { field message }
}
"""
READ = "query { visitFigures(days: 30) { day pageViews installs } }"


async def test_the_gateway_adds_daily_totals_and_anyone_reads_them(
    membership: ServiceUnderTest, issuer: TokenIssuer, db: asyncpg.Connection, clock: FixedClock
) -> None:
    service = issuer.token("service")
    yesterday = (clock.today() - dt.timedelta(days=1)).isoformat()
    for views, installs in ((40, 1), (2, 0)):  # a day handed over in two parts adds up
        answer = await membership.graphql(
            RECORD, {"day": yesterday, "views": views, "installs": installs}, token=service
        )
        assert answer["data"]["recordVisitTotals"] == []
    figures = await membership.graphql(READ, {})
    assert figures["data"]["visitFigures"] == [{"day": yesterday, "pageViews": 42, "installs": 1}]
    bad = await membership.graphql(
        RECORD, {"day": "1999-01-01", "views": -1, "installs": 0}, token=service
    )
    assert {e["field"] for e in bad["data"]["recordVisitTotals"]} == {"day", "pageViews"}
    # a day's two totals, and nothing else, is all the table can hold
    columns = await db.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'visit_totals'"
        " ORDER BY ordinal_position"
    )
    assert [c["column_name"] for c in columns] == ["day", "page_views", "installs"]


async def test_nobody_else_adds_to_the_totals(
    membership: ServiceUnderTest, issuer: TokenIssuer, admin_token: str, clock: FixedClock
) -> None:
    variables = {"day": clock.today().isoformat(), "views": 1000, "installs": 0}
    for token in (admin_token, issuer.token("officer"), None):
        answer = await membership.graphql(RECORD, variables, token=token)
        assert answer["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")
    assert (await membership.graphql(READ, {}))["data"]["visitFigures"] == []

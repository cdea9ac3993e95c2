"""Anonymous visit figures: daily totals of page views and app installs.

The gateway counts in memory, with nothing about the visitor, and hands over a finished
day's two totals with a service token; anyone may read them (the portal's figures page).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from servicekit.database import Executor
from servicekit.graphql import FieldError, context_of, require_role
from servicekit.rows import RowReader

MAX_DAYS = 366


@strawberry.type(description="One day's anonymous visit totals.")
class DailyVisits:
    day: dt.date
    page_views: int
    installs: int


_daily_visits = RowReader(DailyVisits)


async def add_totals(*, db: Executor, day: dt.date, page_views: int, installs: int) -> None:
    await db.execute(
        """
        INSERT INTO visit_totals (day, page_views, installs) VALUES ($1, $2, $3)
        ON CONFLICT (day) DO UPDATE SET page_views = visit_totals.page_views + $2,
                                        installs = visit_totals.installs + $3
        """,
        day,
        page_views,
        installs,
    )


async def list_totals(*, db: Executor, since: dt.date) -> list[DailyVisits]:
    rows = await db.fetch(
        f"SELECT {_daily_visits.columns} FROM visit_totals"  # noqa: S608 - constants
        " WHERE day >= $1 ORDER BY day",
        since,
    )
    return [_daily_visits(row) for row in rows]


Days = Annotated[int, strawberry.argument(description="How many days back, 1 to 366.")]


@strawberry.type
class VisitQueries:
    @strawberry.field(description="Daily page views and app installs, oldest first. Anyone.")
    async def visit_figures(self, info: Info[Any, Any], days: Days = 30) -> list[DailyVisits]:
        today = context_of(info).clock.today()
        since = today - dt.timedelta(days=max(1, min(days, MAX_DAYS)))
        return await list_totals(db=context_of(info).pool, since=since)


@strawberry.type
class VisitMutations:
    @strawberry.mutation(description="Add a finished day's totals: the gateway's service only.")
    async def record_visit_totals(
        self, info: Info[Any, Any], day: dt.date, page_views: int, installs: int
    ) -> list[FieldError]:
        require_role(info, "service")
        errors = []
        today = context_of(info).clock.today()
        if not today - dt.timedelta(days=MAX_DAYS) <= day < today + dt.timedelta(days=1):
            errors.append(FieldError(field="day", message="Send a day of the past year."))
        if not 0 <= page_views <= 1_000_000_000 or not 0 <= installs <= 1_000_000_000:
            errors.append(FieldError(field="pageViews", message="Totals are 0 to 1000000000."))
        if not errors:
            await add_totals(
                db=context_of(info).pool, day=day, page_views=page_views, installs=installs
            )
        return errors

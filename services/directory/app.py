"""The directory service's ASGI app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import strawberry
from starlette.applications import Starlette
from starlette.routing import Mount

from servicekit import geo
from servicekit.app import create_service_app
from servicekit.graphql import ServiceSchema

from . import settings as directory_settings
from .availability import time_zones
from .mutations import Mutation
from .report_months import TICK_SECONDS, ReportMonths
from .reports import ReportingLoaders, ReportMutations, ReportQueries
from .schema import Clock, PeerSupporter, Query, system_clock
from .store import RotationKeeper

MIGRATIONS = Path(__file__).parent / "migrations"


@strawberry.type(name="Query")
class DirectoryQuery(Query, ReportQueries):
    pass


@strawberry.type(name="Mutation")
class DirectoryMutation(Mutation, ReportMutations):
    pass


def build_schema() -> ServiceSchema:
    return ServiceSchema(query=DirectoryQuery, mutation=DirectoryMutation, types=[PeerSupporter])


def create_app(
    settings: directory_settings.DirectorySettings | None = None, *, clock: Clock = system_clock
) -> Starlette:
    """The app; ``clock`` tells it the time (tests pass a fixed one)."""
    settings = settings or directory_settings.load()
    # read the ZIP table and the time-zone list now, not during someone's first search
    geo.load()
    time_zones()
    months = ReportMonths(clock)
    keep_rotation = RotationKeeper(clock)

    async def housekeeping(pool: asyncpg.Pool) -> None:
        await months.tick(pool)
        await keep_rotation(pool)

    graphql_app = create_service_app(
        settings.service,
        build_schema(),
        title="WeNeverWalkAlone · directory",
        make_loaders=lambda pool: ReportingLoaders(pool, clock, months),
        # renew this process's lease, share month keys, close past months (report_months.py);
        # keep the search rotation of the day (store.RotationKeeper)
        housekeeping=housekeeping,
        housekeeping_every=TICK_SECONDS,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with graphql_app.router.lifespan_context(graphql_app) as state:
            try:
                yield dict(state or {})
            finally:
                # hand the open months' keys to the processes still running, then leave
                await months.stop(dict(state or {})["pool"])

    app = Starlette(routes=[Mount("/", app=graphql_app)], lifespan=lifespan)
    app.state.report_months = months  # tests look at which month keys this process holds
    return app

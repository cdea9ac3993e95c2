"""The directory service's ASGI app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import strawberry
from starlette.applications import Starlette

from servicekit import geo
from servicekit.app import Running, create_service_app
from servicekit.clock import SYSTEM_CLOCK, Clock
from servicekit.graphql import ServiceSchema

from . import settings as directory_settings
from .availability import time_zones
from .coverage import CoverageQueries
from .mutations import Mutation
from .on_call import OnCallQueries
from .report_key import ReportKey
from .report_months import TICK_SECONDS, ReportMonths
from .reports import ReportMutations, ReportQueries
from .resources import ResourceMutations, ResourceQueries
from .schema import DirectoryLoaders, DirectoryResources, PeerSupporter, Query
from .search_index import SupporterIndex
from .survey import SurveyMutations, SurveyQueries
from .survey_quarters import SurveyQuarters

MIGRATIONS = Path(__file__).parent / "migrations"


@strawberry.type(name="Query")
class DirectoryQuery(
    Query, OnCallQueries, ResourceQueries, ReportQueries, SurveyQueries, CoverageQueries
):
    pass


@strawberry.type(name="Mutation")
class DirectoryMutation(Mutation, ResourceMutations, ReportMutations, SurveyMutations):
    pass


def build_schema() -> ServiceSchema:
    return ServiceSchema(query=DirectoryQuery, mutation=DirectoryMutation, types=[PeerSupporter])


def create_app(
    settings: directory_settings.DirectorySettings | None = None, *, clock: Clock = SYSTEM_CLOCK
) -> Starlette:
    """The app; ``clock`` tells it the time (tests pass a fixed one)."""
    settings = settings or directory_settings.load()
    # read the ZIP table and the time-zone list now, not during someone's first search
    geo.load()
    time_zones()
    key = ReportKey(settings.report_key, settings.retired_report_keys)
    months = ReportMonths(clock, key)
    survey = SurveyQuarters(clock, months)
    search_index = SupporterIndex()

    @contextlib.asynccontextmanager
    async def resources(service: Running[None]) -> AsyncIterator[DirectoryResources]:
        async with survey.running(service):
            yield DirectoryResources(months=months, survey=survey, search_index=search_index)

    async def housekeeping(pool: asyncpg.Pool) -> None:
        await months.tick(pool)
        await survey.tick(pool)
        await search_index.refresh(pool)
        search_index.arrange_for(clock.now())

    app = create_service_app(
        settings.service,
        build_schema(),
        title="WeNeverWalkAlone · directory",
        clock=clock,
        # marks of who reported or answered, held while the process runs (report_months.py,
        # survey_quarters.py), and the search index
        resources=resources,
        make_loaders=lambda service: DirectoryLoaders(service.pool, service.clock),
        # write this process's noisy part of months that closed (report_months.py);
        # read the profiles into the search index at start (search_index.py)
        housekeeping=housekeeping,
        housekeeping_every=TICK_SECONDS,
        # ready once every profile is in the search index, in today's rotation, so no
        # officer's search waits for a restarted process to read or arrange them all
        warm_up=lambda service: search_index.warm_up(service.pool, service.clock.now()),
    )
    app.state.report_months = months  # tests look at what this process holds in memory
    app.state.survey_quarters = survey
    app.state.search_index = search_index
    return app

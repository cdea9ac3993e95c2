"""The directory service's ASGI app."""

from __future__ import annotations

from pathlib import Path

import strawberry
from starlette.applications import Starlette

from servicekit import geo
from servicekit.app import create_service_app
from servicekit.graphql import ServiceSchema

from . import settings as directory_settings
from .availability import time_zones
from .mutations import Mutation
from .reports import ReportingLoaders, ReportMutations, ReportQueries, close_past_months
from .schema import Clock, PeerSupporter, Query, system_clock

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
    report_key = settings.report_key.value.encode()
    # read the ZIP table and the time-zone list now, not during someone's first search
    geo.load()
    time_zones()
    return create_service_app(
        settings.service,
        build_schema(),
        title="WeNeverWalkAlone · directory",
        make_loaders=lambda pool: ReportingLoaders(pool, clock, report_key),
        # receipts must not outlive their month even when nobody reports or reads figures
        housekeeping=lambda pool: close_past_months(pool, clock),
    )

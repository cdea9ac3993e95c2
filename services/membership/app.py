"""The membership service's ASGI app."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from servicekit.app import create_service_app
from servicekit.graphql import ServiceSchema

from . import settings as membership_settings
from .mutations import Mutation
from .schema import Department, MembershipLoaders, Query

MIGRATIONS = Path(__file__).parent / "migrations"


def build_schema() -> ServiceSchema:
    return ServiceSchema(query=Query, mutation=Mutation, types=[Department])


def create_app(settings: membership_settings.MembershipSettings | None = None) -> Starlette:
    settings = settings or membership_settings.load()
    notice_days = settings.renewal_notice_days
    return create_service_app(
        settings.service,
        build_schema(),
        title="WeNeverWalkAlone · membership",
        make_loaders=lambda pool: MembershipLoaders(pool, notice_days),
    )

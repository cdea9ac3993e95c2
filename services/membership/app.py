"""The membership service's ASGI app."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from starlette.applications import Starlette
from strawberry.tools import merge_types

from servicekit import mail as outbox
from servicekit.app import create_service_app
from servicekit.graphql import ServiceSchema

from . import mail
from . import settings as membership_settings
from .mutations import Mutation
from .network import NetworkFiguresSource, NetworkQueries, Peers
from .news import NewsMutations, NewsQueries
from .schema import Department, Query
from .visits import VisitMutations, VisitQueries

MIGRATIONS = Path(__file__).parent / "migrations"


def build_schema() -> ServiceSchema:
    query = merge_types("Query", (Query, NetworkQueries, NewsQueries, VisitQueries))
    mutation = merge_types("Mutation", (Mutation, NewsMutations, VisitMutations))
    return ServiceSchema(query=query, mutation=mutation, types=[Department])


def create_app(settings: membership_settings.MembershipSettings | None = None) -> Starlette:
    settings = settings or membership_settings.load()
    notice_days = settings.renewal_notice_days
    source = NetworkFiguresSource(
        Peers(
            token_url=f"{settings.service.token_issuer}/auth/service-token",
            client_name="membership",
            client_secret=settings.service_secret.value,
            directory_url=settings.directory_url,
            professionals_url=settings.professionals_url,
        )
    )
    return create_service_app(
        settings.service,
        build_schema(),
        title="WeNeverWalkAlone · membership",
        make_loaders=lambda pool: mail.MailingLoaders(pool, notice_days, source, settings.mail),
        # the outbox: staff notices and receipts go out, and are retried, from here
        housekeeping=lambda pool: _deliver(pool, settings.mail),
        housekeeping_every=settings.mail.every_seconds,
    )


async def _deliver(pool: asyncpg.Pool, settings: outbox.MailSettings) -> None:
    await outbox.deliver_due(pool, settings)

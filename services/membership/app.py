"""The membership service's ASGI app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

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
from .schema import Clock, ContactForms, Department, Query, system_clock
from .visits import VisitMutations, VisitQueries

MIGRATIONS = Path(__file__).parent / "migrations"


def build_schema() -> ServiceSchema:
    query = merge_types("Query", (Query, NetworkQueries, NewsQueries, VisitQueries))
    mutation = merge_types("Mutation", (Mutation, NewsMutations, VisitMutations))
    return ServiceSchema(query=query, mutation=mutation, types=[Department])


def create_app(
    settings: membership_settings.MembershipSettings | None = None,
    *,
    clock: Clock = system_clock,
    figures: NetworkFiguresSource | None = None,
) -> Starlette:
    """The app; ``clock`` tells it the time and ``figures`` gathers the network figures
    (tests pass their own)."""
    settings = settings or membership_settings.load()
    notice_days = settings.renewal_notice_days
    source = figures or NetworkFiguresSource(
        Peers(
            token_url=f"{settings.service.token_issuer}/auth/service-token",
            client_name="membership",
            client_secret=settings.service_secret.value,
            directory_url=settings.directory_url,
            professionals_url=settings.professionals_url,
        )
    )
    forms = ContactForms.allowing(burst=settings.forms_burst, per_hour=settings.forms_per_hour)
    app = create_service_app(
        settings.service,
        build_schema(),
        title="WeNeverWalkAlone · membership",
        make_loaders=lambda pool: mail.MailingLoaders(
            pool, notice_days, source, forms, clock, settings.mail
        ),
        # the outbox: staff notices and receipts go out, and are retried, from here
        housekeeping=lambda pool: _deliver(pool, settings.mail),
        housekeeping_every=settings.mail.every_seconds,
    )
    service_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[Any]:
        # the figures' HTTP session lives as long as the service's pool and token cache
        async with service_lifespan(app) as state, source.running():
            yield state

    app.router.lifespan_context = lifespan
    return app


async def _deliver(pool: asyncpg.Pool, settings: outbox.MailSettings) -> None:
    await outbox.deliver_due(pool, settings)

"""The membership service's ASGI app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
from starlette.applications import Starlette
from strawberry.tools import merge_types

from servicekit import mail as outbox
from servicekit.app import Running, create_service_app
from servicekit.clock import SYSTEM_CLOCK, Clock
from servicekit.ephemeral import EphemeralMarks
from servicekit.graphql import ServiceSchema
from servicekit.proof_of_work import FormProof, challenge_key

from . import settings as membership_settings
from .consortia import ConsortiumMutations, ConsortiumQueries
from .demo_slots import DemoSlotMutations, DemoSlotQueries
from .mutations import Mutation
from .network import NetworkFiguresSource, NetworkQueries, Peers
from .news import NewsMutations, NewsQueries
from .outbox import OutboxMutations, OutboxQueries
from .schema import ContactForms, Department, MembershipLoaders, MembershipResources, Query
from .visits import VisitMutations, VisitQueries

MIGRATIONS = Path(__file__).parent / "migrations"


def build_schema() -> ServiceSchema:
    query = merge_types(
        "Query",
        (
            Query,
            ConsortiumQueries,
            DemoSlotQueries,
            NetworkQueries,
            NewsQueries,
            VisitQueries,
            OutboxQueries,
        ),
    )
    mutation = merge_types(
        "Mutation",
        (
            Mutation,
            ConsortiumMutations,
            DemoSlotMutations,
            NewsMutations,
            VisitMutations,
            OutboxMutations,
        ),
    )
    return ServiceSchema(query=query, mutation=mutation, types=[Department])


def create_app(
    settings: membership_settings.MembershipSettings | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
    figures: NetworkFiguresSource | None = None,
) -> Starlette:
    """The app; ``clock`` tells it the time and ``figures`` gathers the network figures
    (tests pass their own)."""
    settings = settings or membership_settings.load()
    chosen = settings
    source = figures or NetworkFiguresSource(
        Peers(
            token_url=f"{settings.service.token_issuer}/auth/service-token",
            client_name="membership",
            client_secret=settings.service_secret.value,
            directory_url=settings.directory_url,
            professionals_url=settings.professionals_url,
        )
    )
    key = challenge_key(settings.challenge_key)

    @contextlib.asynccontextmanager
    async def resources(service: Running[None]) -> AsyncIterator[MembershipResources]:
        # the figures are gathered over the service's HTTP session while it runs; the
        # forms' spent solutions and busyness are marks every replica sees
        async with (
            source.running(service.http),
            EphemeralMarks(service.settings.database_url.value, service.clock) as marks,
        ):

            def form(name: str) -> FormProof:
                return FormProof(
                    name, key=key, marks=marks, clock=service.clock, pricing=chosen.forms
                )

            yield MembershipResources(
                figures=source,
                forms=ContactForms(
                    join_inquiries=form("join-inquiry"), demo_requests=form("demo-request")
                ),
                mail=chosen.mail,
                renewal_notice_days=chosen.renewal_notice_days,
            )

    def make_loaders(service: Running[MembershipResources]) -> MembershipLoaders:
        return MembershipLoaders(service.pool, service.clock)

    return create_service_app(
        settings.service,
        build_schema(),
        title="WeNeverWalkAlone · membership",
        clock=clock,
        resources=resources,
        make_loaders=make_loaders,
        # the outbox: staff notices and receipts go out, and are retried, from here
        housekeeping=lambda pool: _deliver(pool, chosen.mail),
        housekeeping_every=settings.mail.every_seconds,
    )


async def _deliver(pool: asyncpg.Pool, settings: outbox.MailSettings) -> None:
    await outbox.deliver_due(pool, settings)

"""The professionals service's ASGI app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
from starlette.applications import Starlette
from strawberry.tools import merge_types

from servicekit import geo, mail
from servicekit.app import Running, create_service_app
from servicekit.clock import SYSTEM_CLOCK, Clock
from servicekit.ephemeral import EphemeralMarks
from servicekit.graphql import ServiceSchema
from servicekit.proof_of_work import FormProof, challenge_key

from . import settings as professionals_settings
from .applying import ApplicationChallengeQuery, ApplyMutation
from .context import ProfessionalsResources
from .downloads import ROUTES
from .figures import FigureQueries
from .listing import Professional
from .loaders import ProfessionalsLoaders
from .outbox import OutboxMutations, OutboxQueries
from .requirements import RequirementQueries
from .review import ReviewQueries
from .search import ListingQueries
from .status import StatusQueries
from .vetting import VettingMutation

MIGRATIONS = Path(__file__).parent / "migrations"

Mutation = merge_types("Mutation", (ApplyMutation, VettingMutation, OutboxMutations))


def build_schema() -> ServiceSchema:
    query = merge_types(
        "Query",
        (
            ListingQueries,
            RequirementQueries,
            ReviewQueries,
            FigureQueries,
            StatusQueries,
            ApplicationChallengeQuery,
            OutboxQueries,
        ),
    )
    return ServiceSchema(query=query, mutation=Mutation, types=[Professional])


def create_app(
    settings: professionals_settings.ProfessionalsSettings | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> Starlette:
    """The app; ``clock`` tells it the date (tests pass a fixed one)."""
    settings = settings or professionals_settings.load()
    chosen = settings
    geo.load()  # the ZIP table, read at start rather than on the first search
    key = challenge_key(settings.challenge_key)

    @contextlib.asynccontextmanager
    async def resources(service: Running[None]) -> AsyncIterator[ProfessionalsResources]:
        # the form's spent solutions and busyness are marks every replica sees
        async with EphemeralMarks(service.settings.database_url.value, service.clock) as marks:
            yield ProfessionalsResources(
                settings=chosen,
                applications=FormProof(
                    "professional-application",
                    key=key,
                    marks=marks,
                    clock=service.clock,
                    pricing=chosen.applications,
                    what="application",
                ),
            )

    return create_service_app(
        settings.service,
        build_schema(),
        title="WeNeverWalkAlone · professionals",
        clock=clock,
        resources=resources,
        make_loaders=lambda service: ProfessionalsLoaders(service.pool, service.clock),
        routes=ROUTES,
        multipart_uploads=True,
        max_upload_bytes=settings.max_request_bytes,
        # the outbox: staff notices, receipts and decisions go out, and are retried, from here
        housekeeping=lambda pool: _deliver(pool, chosen.mail),
        housekeeping_every=settings.mail.every_seconds,
    )


async def _deliver(pool: asyncpg.Pool, settings: mail.MailSettings) -> None:
    await mail.deliver_due(pool, settings)

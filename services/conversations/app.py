"""The conversations service's ASGI app."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from servicekit.app import create_service_app
from servicekit.clock import SYSTEM_CLOCK, Clock
from servicekit.graphql import ServiceSchema

from . import settings as conversations_settings
from .resources import opener
from .schema import Query
from .web import ROUTES

MIGRATIONS = Path(__file__).parent / "migrations"


def build_schema() -> ServiceSchema:
    return ServiceSchema(query=Query)


def create_app(
    settings: conversations_settings.ConversationsSettings | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> Starlette:
    """The app; ``clock`` tells it the time (tests pass a fixed one)."""
    settings = settings or conversations_settings.load()
    return create_service_app(
        settings.service,
        build_schema(),
        title="Conversations",
        clock=clock,
        resources=opener(settings),
        routes=ROUTES,
    )

"""Fixtures every test may use: the database server, the token issuer, service clients, and
the one whole stack the end-to-end and browser tests share."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import pytest

from servicekit.clock import Clock
from tests.support.database import TemplateDatabases, database_server_for_tests
from tests.support.graphql import GraphQLClient, running
from tests.support.mail import Sink, smtp_sink
from tests.support.servers import free_port
from tests.support.stack import Stack, running_stack
from tests.support.tokens import ISSUER, TokenIssuer
from wnwa.registry import service_named


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with database_server_for_tests() as url:
        yield url


@pytest.fixture(scope="session")
async def databases(postgres_url: str) -> AsyncIterator[TemplateDatabases]:
    templates = TemplateDatabases(postgres_url)
    yield templates
    await templates.drop_all()


@pytest.fixture(scope="session")
async def issuer() -> AsyncIterator[TokenIssuer]:
    test_issuer = TokenIssuer()
    await test_issuer.start()
    yield test_issuer
    await test_issuer.stop()


ServiceFactory = Callable[..., contextlib.AbstractAsyncContextManager["ServiceUnderTest"]]


class ServiceUnderTest:
    """One service's app on a fresh database: a GraphQL client and the database URL."""

    def __init__(self, graphql: GraphQLClient, database_url: str, http: Any) -> None:
        self.graphql = graphql
        self.database_url = database_url
        self.http = http


@pytest.fixture
def start_service(databases: TemplateDatabases, issuer: TokenIssuer) -> ServiceFactory:
    """``async with start_service("membership", EXTRA=...) as svc``: the app on a new database
    (``clock=`` a fixed clock, for a service that should believe it is another time;
    ``environment=`` shared variables, e.g. ``WNWA_PUBLIC_URL``, given as they are named)."""

    @contextlib.asynccontextmanager
    async def start(
        name: str,
        *,
        clock: Clock | None = None,
        environment: Mapping[str, str] | None = None,
        **extra_env: str,
    ) -> AsyncIterator[ServiceUnderTest]:
        service = service_named(name)
        database_url = await databases.fresh(name, service.migrations)
        prefix = f"WNWA_{name.upper()}"
        environ = {
            "WNWA_ENV": "test",
            f"{prefix}_DATABASE_URL": database_url,
            "WNWA_JWKS_URL": issuer.jwks_url,
            "WNWA_TOKEN_ISSUER": ISSUER,
            **{f"{prefix}_{key}": value for key, value in extra_env.items()},
            **(environment or {}),
        }
        settings = service.module("settings").load(environ)
        create_app = service.module("app").create_app
        app = create_app(settings) if clock is None else create_app(settings, clock=clock)
        async with running(app) as http:
            yield ServiceUnderTest(GraphQLClient(http), database_url, http)

    return start


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Sink]:
    """The development SMTP sink the shared stack's services send their mail to."""
    with smtp_sink(free_port()) as sink:
        yield sink


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, mailbox: Sink) -> Iterator[Stack]:
    """One `wnwa up` for every end-to-end and browser test, started by the first that needs
    it: every service, the gateway and the development IdP, exactly as a developer runs them.

    Served as `localhost`, since browsers refuse passkeys on an IP address. Tests that change
    what the demo holds put it back, or change only what no other test reads."""
    mail = {
        "WNWA_SMTP_HOST": "127.0.0.1",
        "WNWA_SMTP_PORT": str(mailbox.port),
        "WNWA_MAIL_EVERY_MS": "500",
    }
    data_dir = tmp_path_factory.mktemp("stack")
    with running_stack(data_dir, host="localhost", **mail) as running:
        yield running

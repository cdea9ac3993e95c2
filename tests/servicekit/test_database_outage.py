"""PostgreSQL going away: requests in flight and after are answered SERVICE_UNAVAILABLE and
logged as a warning (never as a bug), and a service still stops cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from servicekit.database_urls import database_name, with_database
from servicekit.errors import is_database_outage
from tests.conftest import ServiceFactory
from tests.support.database import PROJECT, StoppableServer, TemplateDatabases
from tests.support.servers import serving, until_ready
from tests.support.tokens import ISSUER, TokenIssuer
from wnwa.registry import service_named


def _raised_while_handling(first: BaseException, then: BaseException) -> BaseException:
    try:
        try:
            raise first
        except BaseException:
            raise then  # noqa: B904 - the implicit context is the point
    except BaseException as raised:
        return raised


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (asyncpg.ConnectionDoesNotExistError("closed in the middle"), True),
        (asyncpg.CannotConnectNowError("starting up"), True),
        (asyncpg.AdminShutdownError("terminating"), True),
        (asyncpg.TooManyConnectionsError("full"), True),
        (asyncpg.InterfaceError("pool is closing"), True),
        (
            _raised_while_handling(
                asyncpg.ConnectionDoesNotExistError("lost"),
                asyncpg.InternalClientError("release() called on a free connection holder"),
            ),
            True,
        ),
        (asyncpg.InternalClientError("a bug of the driver"), False),
        (asyncpg.UniqueViolationError("duplicate key"), False),
        (
            asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
            False,
        ),
        (ValueError("a bug of ours"), False),
        (FileNotFoundError(2, "not from the database"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_what_counts_as_the_database_being_out_of_reach(error: BaseException, outage: bool) -> None:
    assert is_database_outage(error) is outage


async def _connecting_to(url: str) -> BaseException:
    try:
        await asyncpg.connect(url, timeout=5)
    except BaseException as error:
        return error
    raise AssertionError(f"{url} answered")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://wnwa@127.0.0.1:9/wnwa",  # nothing listens: refused
        "postgresql:///wnwa?host=/nonexistent-socket-folder",  # a stopped server's socket
    ],
)
async def test_a_database_that_cannot_be_reached_is_an_outage(url: str) -> None:
    error = await _connecting_to(url)
    assert isinstance(error, OSError)
    assert is_database_outage(error)


def _no_errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.ERROR
    ]


async def _wait_for_lock_wait(admin: asyncpg.Connection, database: str) -> None:
    for _ in range(250):
        waiting = await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
            database,
        )
        if waiting:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the request never reached the database")


async def test_a_connection_terminated_mid_request_is_answered_unavailable(
    start_service: ServiceFactory, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with start_service("membership") as service:
        database = database_name(service.database_url)
        admin = await asyncpg.connect(with_database(postgres_url, "postgres"))
        locker = await asyncpg.connect(service.database_url)
        try:
            async with locker.transaction():
                await locker.execute("LOCK TABLE news_posts IN ACCESS EXCLUSIVE MODE")
                request = asyncio.create_task(
                    service.http.post("/graphql", json={"query": "{ news { title } }"})
                )
                await _wait_for_lock_wait(admin, database)
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = $1 AND application_name = 'wnwa'",
                    database,
                )
                answer = (await request).json()
        finally:
            await locker.close()
            await admin.close()
    [error] = answer["errors"]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
    assert "cannot reach its database" in error["message"]
    assert _no_errors_logged(caplog) == []


# -- a database server that stops under a running service ------------------------------------


@pytest.fixture(scope="module")
def own_server() -> Iterator[StoppableServer]:
    """A PostgreSQL of this module's own (the shared one must keep running), under .wnwa/
    as the shared one is (the embedded server's own user must reach its folder)."""
    server = StoppableServer(PROJECT / ".wnwa" / f"test-outage-pgdata-{os.getpid()}")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.pgdata, ignore_errors=True)


@contextlib.asynccontextmanager
async def directory_on(
    server: StoppableServer, issuer: TokenIssuer
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """The directory service (served by uvicorn, as in production) on a fresh database of
    ``server``; yields a client and the database's URL."""
    url = server.start()
    service = service_named("directory")
    database_url = await TemplateDatabases(url).fresh("directory", service.migrations)
    settings = service.module("settings").load(
        {
            "WNWA_ENV": "test",
            "WNWA_DIRECTORY_DATABASE_URL": database_url,
            "WNWA_JWKS_URL": issuer.jwks_url,
            "WNWA_TOKEN_ISSUER": ISSUER,
        }
    )
    async with (
        serving(service.module("app").create_app(settings)) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
    ):
        await until_ready(http)
        yield http, database_url


RESOURCES = {"query": "query Resources { wellbeingResources { title } }"}


def _unavailable(answer: dict[str, Any]) -> None:
    assert answer["data"] == {"wellbeingResources": None}, answer
    [error] = answer["errors"]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE"}, error
    assert error["path"] == ["wellbeingResources"]


@pytest.mark.slow
async def test_requests_during_and_after_a_database_stop_are_answered_unavailable(
    own_server: StoppableServer, issuer: TokenIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    officer = {"Authorization": f"Bearer {issuer.token('officer')}"}
    async with directory_on(own_server, issuer) as (http, database_url):
        assert (await http.post("/graphql", json=RESOURCES, headers=officer)).json() == {
            "data": {"wellbeingResources": []}
        }
        locker = await asyncpg.connect(database_url)
        await locker.execute("BEGIN; LOCK TABLE wellbeing_resources IN ACCESS EXCLUSIVE MODE")
        in_flight = asyncio.create_task(http.post("/graphql", json=RESOURCES, headers=officer))
        await _wait_for_lock_wait(locker, database_name(database_url))
        await asyncio.to_thread(own_server.stop)  # terminates every session, then exits
        locker.terminate()
        _unavailable((await in_flight).json())
        after = [await http.post("/graphql", json=RESOURCES, headers=officer) for _ in range(3)]
        strict = await http.post(
            "/graphql",
            json=RESOURCES,
            headers={**officer, "Accept": "application/graphql-response+json"},
        )
        ready = await http.get("/readyz")
    for response in after:
        assert response.status_code == 200
        _unavailable(response.json())
    assert strict.status_code == 200  # the answer has data: a field failed, not the request
    _unavailable(strict.json())
    assert ready.status_code == 503
    assert _no_errors_logged(caplog) == []
    warnings = [r.getMessage() for r in caplog.records if r.name == "wnwa.graphql"]
    assert warnings
    assert all(message.startswith("database unavailable") for message in warnings)


@pytest.mark.slow
async def test_a_service_stops_cleanly_when_its_database_is_gone(
    own_server: StoppableServer, issuer: TokenIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with directory_on(own_server, issuer) as (http, _):
        assert (await http.get("/readyz")).status_code == 200
        await asyncio.to_thread(own_server.stop)
    # at shutdown the directory writes what it must (closed months' report parts) if the
    # database lets it; with none it still stops, without an error
    assert _no_errors_logged(caplog) == []
    assert not any("shutdown failed" in r.getMessage() for r in caplog.records)

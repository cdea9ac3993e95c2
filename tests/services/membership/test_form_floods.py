"""One sender flooding one anonymous form, through the gateway, must not close the others.

The forms' spent solutions are advisory locks, in the database server's lock table, which
every purpose of every service on that server shares (a sign-in's state, a passkey ceremony,
the other forms). Here membership runs on a server of this module's own whose table has
little room left (a deployment that kept PostgreSQL's default lock table, shared with other
tenants): a flood must hold a bounded share of it, so the other form still takes a person's
request and another service still signs people in.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from gateway.app import create_app as create_gateway
from gateway.settings import load as load_gateway
from servicekit.clock import FixedClock
from servicekit.ephemeral import EphemeralMarks
from services.membership import settings as membership_settings
from services.membership.app import MIGRATIONS, create_app
from tests.services.membership.conftest import LEAP_DAY, membership_environment
from tests.services.membership.test_contacts import DEMO, INQUIRE, inquiry
from tests.support.database import PROJECT, TemplateDatabases
from tests.support.graphql import GraphQLClient, running
from tests.support.proof_of_work import contact_form_proof
from tests.support.servers import serving, until_ready
from tests.support.tokens import ISSUER, TokenIssuer
from wnwa.postgres import database_server

pytestmark = pytest.mark.slow

# PostgreSQL's smallest lock table: about 1,400 locks in all on this server
SMALL_LOCK_TABLE = {"fsync": "off", "max_locks_per_transaction": "10", "max_connections": "20"}
ROOM = 150  # the slots other tenants leave free
FLOOD = 250  # accepted submissions of one form, more than that room
CHEAP = {
    "WNWA_MEMBERSHIP_FORMS_CHEAPEST": "1",
    "WNWA_MEMBERSHIP_FORMS_DEAREST": "1",
    "WNWA_MEMBERSHIP_FORMS_BUSY_AT": "4",
    # what a deployment on such a server sets: a form's spent solutions per process
    "WNWA_MEMBERSHIP_FORMS_SPENT_MARKS": "40",
}


@pytest.fixture(scope="module")
def small_server() -> Iterator[str]:
    pgdata = PROJECT / ".wnwa" / f"test-small-locks-{os.getpid()}"
    try:
        with database_server(
            pgdata=pgdata,
            external_variable="WNWA_TEST_SMALL_POSTGRES_URL_IS_NEVER_SET",
            settings=SMALL_LOCK_TABLE,
        ) as url:
            yield url
    finally:
        shutil.rmtree(pgdata, ignore_errors=True)


@contextlib.asynccontextmanager
async def others_holding_all_but(server_url: str, room: int) -> AsyncIterator[None]:
    """Another tenant's session holding every slot of the lock table but ``room``."""
    connection = await asyncpg.connect(server_url)
    held = 0
    try:
        with contextlib.suppress(asyncpg.OutOfMemoryError):
            while True:
                await connection.execute(
                    "SELECT pg_advisory_lock(key) FROM generate_series($1::bigint, $2) AS key",
                    10**12 + held,
                    10**12 + held + 49,
                )
                held += 50
        await connection.execute("SELECT pg_advisory_unlock_all()")
        await connection.execute(
            "SELECT pg_advisory_lock(key) FROM generate_series($1::bigint, $2) AS key",
            10**12,
            10**12 + held - room - 1,
        )
        yield
    finally:
        await connection.close()


@pytest.fixture
async def gateway(
    small_server: str, issuer: TokenIssuer
) -> AsyncIterator[tuple[GraphQLClient, str]]:
    databases = TemplateDatabases(small_server)
    try:
        database_url = await databases.fresh("membership", MIGRATIONS)
        environ = {**membership_environment(database_url, issuer), **CHEAP}
        settings = membership_settings.load(environ)
        async with (
            serving(create_app(settings, clock=FixedClock(LEAP_DAY))) as membership,
            running(
                create_gateway(
                    load_gateway(
                        {
                            "WNWA_ENV": "test",
                            "WNWA_JWKS_URL": issuer.jwks_url,
                            "WNWA_TOKEN_ISSUER": ISSUER,
                            "WNWA_GATEWAY_MEMBERSHIP_URL": f"{membership}/graphql",
                        }
                    )
                )
            ) as http,
        ):
            # warm, as a deployment's service is before traffic reaches it
            async with httpx.AsyncClient(base_url=membership) as direct:
                await until_ready(direct)
            yield GraphQLClient(http), small_server
    finally:
        await databases.drop_all()


async def test_a_flood_of_one_form_leaves_the_other_forms_and_sign_ins_open(
    gateway: tuple[GraphQLClient, str],
) -> None:
    client, server_url = gateway
    async with others_holding_all_but(server_url, ROOM):
        for number in range(FLOOD):
            answer = await client(
                INQUIRE,
                {
                    "input": inquiry(agency=f"Flood {number} PD"),
                    "proof": await contact_form_proof(client),
                },
            )
            assert answer["data"]["submitJoinInquiry"]["reference"], (number, answer)

        # a person's demo request, on the other form of the same service
        contact: dict[str, Any] = {k: v for k, v in inquiry().items() if k != "message"}
        demo = {**contact, "format": "VIRTUAL", "preferredTimes": "mornings"}
        person = await client(
            DEMO, {"input": demo, "proof": await contact_form_proof(client, "DEMO_REQUEST")}
        )
        assert person["data"]["requestDemo"]["reference"], person

        # and another service on the server (identity, spending a sign-in's state) still can
        async with EphemeralMarks(server_url, FixedClock(LEAP_DAY)) as identity:
            until = LEAP_DAY + dt.timedelta(minutes=15)
            assert await identity.claim("identity sign-in state", b"a state", until)

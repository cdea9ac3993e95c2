"""A restarted directory takes no traffic while cold: it says it is ready only once every
profile is in its search index, so no officer's search waits for the whole country to load.
A worker of several on one socket does not even accept connections until then."""

from __future__ import annotations

import asyncio
import datetime as dt

import asyncpg

from services.directory import demo
from tests.support.database import TemplateDatabases
from tests.support.graphql import served_as_is
from tests.support.servers import until_ready
from tests.support.tokens import ISSUER, TokenIssuer
from wnwa.registry import service_named


async def test_the_directory_is_ready_once_every_profile_is_in_its_index(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    service = service_named("directory")
    database_url = await databases.fresh("directory", service.migrations)
    seeder = await asyncpg.connect(database_url)
    try:
        assert await demo.seed(seeder)
        profiles = await seeder.fetchval("SELECT count(*) FROM peer_supporters WHERE active")
        # hold the profiles so the warm-up's reading waits, as a large one would
        await seeder.execute("BEGIN; LOCK TABLE peer_supporters IN ACCESS EXCLUSIVE MODE")
        settings = service.module("settings").load(
            {
                "WNWA_ENV": "test",
                "WNWA_DIRECTORY_DATABASE_URL": database_url,
                "WNWA_JWKS_URL": issuer.jwks_url,
                "WNWA_TOKEN_ISSUER": ISSUER,
            }
        )
        app = service.module("app").create_app(settings)
        async with served_as_is(app) as http:
            cold = await http.get("/readyz")
            alive = await http.get("/healthz")
            await seeder.execute("COMMIT")
            await until_ready(http)
            warm = await http.get("/readyz")
            held = len(app.state.search_index)
            arranged = app.state.search_index.arranged_day
    finally:
        await seeder.close()
    assert (cold.status_code, cold.json()) == (503, {"status": "warming up"})
    assert alive.status_code == 200  # alive all along: nothing restarts it while it warms
    assert (warm.status_code, warm.json()) == (200, {"status": "ready"})
    assert profiles > 0
    assert held == profiles
    # in today's rotation already: the first search arranges nothing
    assert arranged == dt.datetime.now(dt.UTC).date().toordinal()


async def test_a_worker_of_several_accepts_nothing_until_its_index_is_full(
    databases: TemplateDatabases, issuer: TokenIssuer
) -> None:
    service = service_named("directory")
    database_url = await databases.fresh("directory", service.migrations)
    seeder = await asyncpg.connect(database_url)
    try:
        assert await demo.seed(seeder)
        profiles = await seeder.fetchval("SELECT count(*) FROM peer_supporters WHERE active")
        await seeder.execute("BEGIN; LOCK TABLE peer_supporters IN ACCESS EXCLUSIVE MODE")
        settings = service.module("settings").load(
            {
                "WNWA_ENV": "test",
                "WNWA_DIRECTORY_DATABASE_URL": database_url,
                "WNWA_JWKS_URL": issuer.jwks_url,
                "WNWA_TOKEN_ISSUER": ISSUER,
                "WNWA_WORKERS": "2",  # as `wnwa serve directory --workers 2` sets
            }
        )
        app = service.module("app").create_app(settings)
        started = asyncio.Event()

        async def serve() -> tuple[int, int, int]:
            async with served_as_is(app) as http:
                started.set()  # the server would accept connections from here on
                first = await http.get("/readyz")
                return first.status_code, len(app.state.search_index), profiles

        serving = asyncio.create_task(serve())
        await asyncio.sleep(0.5)
        accepted_while_cold = started.is_set()
        await seeder.execute("COMMIT")
        status, held, expected = await asyncio.wait_for(serving, timeout=60)
    finally:
        await seeder.close()
    assert not accepted_while_cold
    assert status == 200  # its first request finds it warm
    assert held == expected > 0

"""A restarted directory takes no traffic while cold: it says it is ready only once every
profile is in its search index, so no officer's search waits for the whole country to load."""

from __future__ import annotations

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
    finally:
        await seeder.close()
    assert (cold.status_code, cold.json()) == (503, {"status": "warming up"})
    assert alive.status_code == 200  # alive all along: nothing restarts it while it warms
    assert (warm.status_code, warm.json()) == (200, {"status": "ready"})
    assert profiles > 0
    assert held == profiles

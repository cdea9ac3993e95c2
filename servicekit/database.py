"""The PostgreSQL connection pool of a service, and creating a service's database."""

from __future__ import annotations

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from servicekit import telemetry
from servicekit.database_urls import database_name, with_database

# what store functions accept: a pool, a connection, or a connection taken from a pool
Connection = asyncpg.Connection | PoolConnectionProxy
Executor = asyncpg.Pool | asyncpg.Connection | PoolConnectionProxy


async def create_pool(database_url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Open the service's pool; called from the app's lifespan, never at import."""
    return await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        command_timeout=30,
        # statement_timeout bounds what one request may cost the database
        server_settings={"application_name": "wnwa", "statement_timeout": "15s"},
        init=_instrument if telemetry.enabled() else None,
        reset=_keep_session,
    )


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Nothing to reset when a connection goes back to the pool.

    asyncpg rolls back a transaction left open before calling this; the services keep no
    other session state (settings are `SET LOCAL`, locks are transaction locks; migrations
    unlock theirs), so its default reset — a round trip of `RESET ALL`, `UNLISTEN *`, … on
    every release, one per query through the pool — is skipped.
    """


async def _instrument(connection: asyncpg.Connection) -> None:
    # a span per query naming its kind only (SELECT, INSERT, …): never its text or values
    connection.add_query_logger(telemetry.record_query)


async def ensure_database(database_url: str) -> bool:
    """Create the database a URL names if the server lacks it; True when it was created."""
    name = database_name(database_url)
    admin = await asyncpg.connect(with_database(database_url, "postgres"))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        # identifiers cannot be parameters; the name was checked against a strict pattern
        await admin.execute(f'CREATE DATABASE "{name}"')
        return True
    finally:
        await admin.close()

"""A real PostgreSQL for tests: one migrated template per service, a fresh copy per test."""

from __future__ import annotations

import contextlib
import itertools
import os
from pathlib import Path

import asyncpg

from servicekit.database_urls import with_database
from servicekit.migrations import apply_migrations
from wnwa.postgres import database_server

PROJECT = Path(__file__).resolve().parents[2]
_counter = itertools.count()


def database_server_for_tests() -> contextlib.AbstractContextManager[str]:
    """``WNWA_TEST_POSTGRES_URL`` when given, else an embedded server under ``.wnwa/``.

    The embedded one does not wait for the disk (``fsync = off``): every write still reaches
    its files, but after a power loss ``.wnwa/test-pgdata`` may have to be deleted. Tests
    throw their data away, and the inner loop is faster. It keeps the last 512 MB of WAL
    (``wal_keep_size``): the privacy tests read every WAL record since a point, and the
    checkpoint they force must not recycle the segment that point is in.
    """
    return database_server(
        pgdata=PROJECT / ".wnwa" / "test-pgdata",
        external_variable="WNWA_TEST_POSTGRES_URL",
        settings={"fsync": "off", "wal_keep_size": "512MB"},
    )


class StoppableServer:
    """An embedded PostgreSQL of a test's own, to stop under a running service (the shared
    one must keep running). Started again on the same data folder, it skips ``initdb``."""

    # a variable never set: even where tests use an external server, this one is embedded
    _NEVER_SET = "WNWA_TEST_STOPPABLE_POSTGRES_URL_IS_NEVER_SET"

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self._running: contextlib.AbstractContextManager[str] | None = None
        self.url = ""

    def start(self) -> str:
        """Start the server (if stopped); its URL."""
        if self._running is None:
            self._running = database_server(
                pgdata=self.pgdata, external_variable=self._NEVER_SET, settings={"fsync": "off"}
            )
            self.url = self._running.__enter__()
        return self.url

    def stop(self) -> None:
        """Stop it the way an operator does (``pg_ctl stop``: sessions terminated)."""
        if self._running is not None:
            running, self._running = self._running, None
            running.__exit__(None, None, None)


async def recreate(server_url: str, name: str, *, template: str | None = None) -> str:
    """Drop and create database ``name`` (optionally from ``template``); returns its URL."""
    admin = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}"{suffix}')
    finally:
        await admin.close()
    return with_database(server_url, name)


async def drop(server_url: str, name: str) -> None:
    admin = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


class TemplateDatabases:
    """Migrates each service's template once per session; hands out fresh copies."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self._templates: dict[str, str] = {}
        self._copies: list[str] = []

    async def template(self, service: str, migrations: Path) -> str:
        if service not in self._templates:
            name = f"test_template_{service}_{os.getpid()}"
            url = await recreate(self.server_url, name)
            connection = await asyncpg.connect(url)
            try:
                await apply_migrations(connection, migrations)
            finally:
                await connection.close()
            self._templates[service] = name
        return self._templates[service]

    async def fresh(self, service: str, migrations: Path) -> str:
        """A new database for one test, migrated, with nothing else in it."""
        template = await self.template(service, migrations)
        name = f"test_{service}_{os.getpid()}_{next(_counter)}"
        self._copies.append(name)
        return await recreate(self.server_url, name, template=template)

    async def drop_all(self) -> None:
        """Drop every copy and template this session made, over one connection."""
        admin = await asyncpg.connect(with_database(self.server_url, "postgres"))
        try:
            for name in [*self._copies, *self._templates.values()]:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

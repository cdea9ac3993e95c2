"""Migrations apply once, in order, each in its own transaction, and edits are caught."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from servicekit.migrations import MigrationError, apply_migrations
from tests.support.database import TemplateDatabases, recreate


@pytest.fixture
async def connection(postgres_url: str) -> AsyncIterator[asyncpg.Connection]:
    url = await recreate(postgres_url, "test_migrations")
    connection = await asyncpg.connect(url)
    yield connection
    await connection.close()


def write(folder: Path, name: str, sql: str) -> None:
    (folder / name).write_text(sql, encoding="utf-8")


async def test_each_migration_is_applied_once_in_order(
    connection: asyncpg.Connection, tmp_path: Path
) -> None:
    write(tmp_path, "0001_first.sql", "CREATE TABLE a (n int); INSERT INTO a VALUES (1);")
    write(tmp_path, "0002_second.sql", "INSERT INTO a SELECT n + 1 FROM a;")
    assert await apply_migrations(connection, tmp_path) == ["0001_first", "0002_second"]
    assert await apply_migrations(connection, tmp_path) == []
    assert await connection.fetchval("SELECT array_agg(n ORDER BY n) FROM a") == [1, 2]
    write(tmp_path, "0003_third.sql", "INSERT INTO a VALUES (10);")
    assert await apply_migrations(connection, tmp_path) == ["0003_third"]
    versions = await connection.fetch("SELECT version FROM schema_migrations ORDER BY version")
    assert [row["version"] for row in versions] == ["0001_first", "0002_second", "0003_third"]


async def test_a_failing_migration_leaves_nothing_of_itself(
    connection: asyncpg.Connection, tmp_path: Path
) -> None:
    write(tmp_path, "0001_good.sql", "CREATE TABLE a (n int);")
    write(tmp_path, "0002_bad.sql", "CREATE TABLE b (n int); SELECT no_such_function();")
    with pytest.raises(asyncpg.UndefinedFunctionError):
        await apply_migrations(connection, tmp_path)
    assert await connection.fetchval("SELECT to_regclass('b')") is None
    assert await connection.fetchval("SELECT count(*) FROM schema_migrations") == 1


async def test_editing_an_applied_migration_is_refused(
    connection: asyncpg.Connection, tmp_path: Path
) -> None:
    write(tmp_path, "0001_first.sql", "CREATE TABLE a (n int);")
    await apply_migrations(connection, tmp_path)
    write(tmp_path, "0001_first.sql", "CREATE TABLE a (n bigint);")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await apply_migrations(connection, tmp_path)


@pytest.mark.parametrize(
    ("names", "problem"),
    [(["1_short.sql"], "named NNNN_what.sql"), (["0001_a.sql", "0001_b.sql"], "used twice")],
)
async def test_badly_named_migrations_are_refused(
    connection: asyncpg.Connection, tmp_path: Path, names: list[str], problem: str
) -> None:
    for name in names:
        write(tmp_path, name, "SELECT 1;")
    with pytest.raises(MigrationError, match=problem):
        await apply_migrations(connection, tmp_path)


async def test_service_templates_hold_every_migration(
    databases: TemplateDatabases, postgres_url: str
) -> None:
    from wnwa.registry import service_named

    service = service_named("membership")
    url = await databases.fresh("membership", service.migrations)
    connection = await asyncpg.connect(url)
    try:
        applied = await connection.fetch("SELECT version FROM schema_migrations ORDER BY version")
    finally:
        await connection.close()
    expected = sorted(path.stem for path in service.migrations.glob("*.sql"))
    assert [row["version"] for row in applied] == expected

"""Ordered SQL migrations, each applied once, in its own transaction, and recorded.

A service keeps its migrations as ``migrations/NNNN_what.sql``. ``apply_migrations`` takes
an advisory lock so two runners never race, applies the files not yet recorded in
``schema_migrations`` in order, and refuses to run when an applied file was edited since.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_KEY = 7_311_202_604  # any constant: serialises migration runners on one database


class MigrationError(Exception):
    """The migrations folder or the recorded history is inconsistent."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One SQL file: its version (file name without ``.sql``), text and checksum."""

    version: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(folder: Path) -> list[Migration]:
    """Read ``NNNN_what.sql`` files in order; numbers must be unique."""
    migrations: list[Migration] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_what.sql")
        if match.group(1) in seen:
            raise MigrationError(f"{path.name}: migration number {match.group(1)} is used twice")
        seen.add(match.group(1))
        migrations.append(Migration(version=path.stem, sql=path.read_text(encoding="utf-8")))
    return migrations


async def apply_migrations(connection: asyncpg.Connection, folder: Path) -> list[str]:
    """Apply the migrations not yet applied; returns the versions applied now."""
    migrations = load_migrations(folder)
    await connection.execute(
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version text PRIMARY KEY,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    await connection.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        rows = await connection.fetch("SELECT version, checksum FROM schema_migrations")
        recorded = {row["version"]: row["checksum"] for row in rows}
        applied: list[str] = []
        for migration in migrations:
            checksum = recorded.get(migration.version)
            if checksum is not None:
                if checksum != migration.checksum:
                    raise MigrationError(
                        f"{migration.version} was changed after it was applied; "
                        "add a new migration instead of editing an applied one"
                    )
                continue
            async with connection.transaction():
                await connection.execute(migration.sql)
                await connection.execute(
                    "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
                    migration.version,
                    migration.checksum,
                )
            applied.append(migration.version)
        return applied
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)

